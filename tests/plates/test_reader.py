"""The plate reader end to end on rendered street frames: real detector, real OCR, real vote."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from edge.plates.config import PlateConfig
from edge.plates.detector import PlateDetector, PlateHit, VehicleView, rank_views
from edge.plates.factory import build_plate_reader
from edge.plates.ocr import CharCandidates, TextRead
from edge.plates.reader import PlateOutcome, PlateReader
from tests.plates.conftest import street_frame


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return build_plate_reader(PlateConfig())


def approach(text: str, colour: str, widths: Sequence[int]) -> list[VehicleView]:
    """The car coming closer: one view per width, as the tracker would give them."""
    views = []
    for k, width in enumerate(widths):
        frame, box = street_frame(text, colour, width, x0=560 - width // 2, y0=200 + 20 * k)  # type: ignore[arg-type]
        views.append(VehicleView(100 + k, frame, box))
    return views


def test_reads_the_plate_of_an_approaching_car(reader: PlateReader) -> None:
    every = PlateReader(PlateConfig(settled_after=20), reader._detector, reader._recognizer, ())
    outcome = every.read(approach("B 2817 PKW", "black", [380, 400, 420, 440, 460, 480]))
    assert outcome.reason is None and outcome.plate is not None
    plate = outcome.plate
    assert (plate.text, plate.formatted, plate.format_valid) == ("B2817PKW", "B 2817 PKW", True)
    assert (plate.region, plate.province, plate.category, plate.colour) == ("B", "DKI Jakarta", "private", "black")
    assert plate.votes >= 3 and len(plate.char_confidences) == 8 and plate.confidence >= 0.5
    # The five largest views were read, no more: OCR runs only where it can help.
    assert outcome.frames == (101, 102, 103, 104, 105) and outcome.ocr_calls == 5 == len(outcome.reads)
    assert outcome.crop is not None and outcome.crop.frame_index in outcome.frames
    assert 1.8 < outcome.crop.image.shape[1] / outcome.crop.image.shape[0] < 5  # wide: a plate, with margin


def test_a_government_plate_is_recorded_as_such(reader: PlateReader) -> None:
    outcome = reader.read(approach("DK 1234 AB", "red", [440, 460, 480]))
    assert outcome.plate is not None and (outcome.plate.text, outcome.plate.category) == ("DK1234AB", "government")
    assert outcome.plate.area == "Bali"


def test_no_vehicle_views(reader: PlateReader) -> None:
    outcome = reader.read([])
    assert outcome.plate is None and outcome.reason == "the vehicle is in none of the buffered frames"
    assert outcome.ocr_calls == 0 and outcome.crop is None


def test_no_plate_on_the_vehicle(reader: PlateReader) -> None:
    frame = np.full((720, 1280, 3), 95, np.uint8)
    frame[300:500, 400:700] = (160, 150, 140)  # a plain box: nothing plate-like
    outcome = reader.read([VehicleView(7, frame, (400, 300, 700, 500))])
    assert outcome.plate is None and outcome.reason == "no plate found on the vehicle in 1 frame(s)"
    assert outcome.ocr_calls == 0


def test_too_small_plates_are_not_sent_to_the_ocr(reader: PlateReader) -> None:
    config = PlateConfig(min_plate_width_px=200)  # every plate is "too small", the car is not (460 × 0.6)
    small = PlateReader(config, reader._detector, reader._recognizer, ())
    outcome = small.read(approach("B 2817 PKW", "black", [460]))
    assert outcome.plate is None and outcome.ocr_calls == 0 and outcome.crop is not None
    assert outcome.reason is not None and outcome.reason.startswith("plate too small to read")


class _Finder:
    """Finds the plate at a fixed place; the reads are scripted, to test the reader's decisions."""

    def find(self, view: VehicleView) -> PlateHit | None:
        return PlateHit((10, 10, 130, 50), 0.9)


class _Scripted:
    def __init__(self, reads: list[TextRead]) -> None:
        self._reads = iter(reads)

    def read(self, plate_image: np.ndarray) -> TextRead:
        return next(self._reads)


def _text(raw: str, conf: float) -> TextRead:
    return TextRead(tuple(CharCandidates((c,), (conf,), 3 * k) for k, c in enumerate(raw)))


def _views(n: int) -> list[VehicleView]:
    frame = np.full((100, 200, 3), 90, np.uint8)
    return [VehicleView(i, frame, (0, 0, 150, 60)) for i in range(n)]


@pytest.mark.parametrize(
    ("reads", "text", "reason"),
    [
        ([_text("B1234XYZ", 0.9)] * 3, "B1234XYZ", None),
        ([_text("B1234XYZ", 0.3)] * 3, None, "too uncertain: confidence 0.30 < 0.50 for 'B1234XYZ' from 3 read(s)"),
        ([_text("B1234XYZ", 0.9), _text("B1284XYZ", 0.9)], None, "the reads disagree at character 4: 3 or 8"),
        ([TextRead(), TextRead()], None, "no text was read"),
        ([_text("XX12", 0.9)] * 2, "XX12", None),  # not a TNKB plate: reported as read, format_valid false
    ],
)
def test_reader_decisions(reads: list[TextRead], text: str | None, reason: str | None) -> None:
    reader = PlateReader(PlateConfig(settled_after=20), _Finder(), _Scripted(reads), ())
    outcome: PlateOutcome = reader.read(_views(len(reads)))
    assert outcome.reason == reason
    assert (outcome.plate.text if outcome.plate else None) == text
    assert len(outcome.reads) == len(reads) == outcome.ocr_calls
    if outcome.plate is not None and text == "XX12":
        assert not outcome.plate.format_valid and outcome.plate.region is None


def test_by_default_the_same_plate_read_three_times_ends_the_reading(reader: PlateReader) -> None:
    outcome = reader.read(approach("B 2817 PKW", "black", [380, 400, 420, 440, 460, 480]))
    assert outcome.plate is not None and outcome.plate.text == "B2817PKW" and outcome.plate.votes == 3
    # The three best views (the largest) settled it: 3 plate detections and 3 OCR calls, not 5.
    assert outcome.frames == (103, 104, 105) and outcome.ocr_calls == 3 == len(outcome.reads)


@pytest.mark.parametrize(
    ("raws", "calls", "text"),
    [
        (["B1234XYZ"] * 5, 2, "B1234XYZ"),  # two agree: settled
        (["B1234XYZ", "B1234XY", "B1234XYZ", "B1234XYZ", "B1234XYZ"], 5, "B1234XYZ"),  # a dissent: all heard
        (["XX12"] * 5, 5, "XX12"),  # agreeing on an invalid plate settles nothing
        (["B1234XYZ", "", "B1234XYZ", "B1234XYZ", "B1234XYZ"], 5, "B1234XYZ"),  # an empty read is no agreement
    ],
)
def test_reading_stops_only_once_settled(raws: list[str], calls: int, text: str) -> None:
    reads = [_text(raw, 0.9) if raw else TextRead() for raw in raws]
    outcome = PlateReader(PlateConfig(settled_after=2), _Finder(), _Scripted(reads), ()).read(_views(len(raws)))
    assert outcome.ocr_calls == calls == len(outcome.frames)
    assert outcome.plate is not None and outcome.plate.text == text


def test_a_vehicle_too_narrow_for_a_readable_plate_is_not_searched() -> None:
    frame = np.full((100, 200, 3), 90, np.uint8)
    narrow = [VehicleView(i, frame, (0, 0, 60, 40)) for i in range(3)]  # 60 px: a plate would be < 40 px
    outcome = PlateReader(PlateConfig(), _Finder(), _Scripted([]), ()).read(narrow)
    assert outcome.plate is None and outcome.ocr_calls == 0 and outcome.frames == ()
    assert outcome.reason == (
        "vehicle too small for a readable plate: 60 px wide at most, its plate would be under 40 px"
    )
    # One wide enough view among them is searched and read.
    wide = [*narrow, VehicleView(9, frame, (0, 0, 150, 60))]
    outcome = PlateReader(PlateConfig(), _Finder(), _Scripted([_text("B1234XYZ", 0.9)]), ()).read(wide)
    assert outcome.frames == (9,) and outcome.plate is not None


def test_rank_prefers_large_sharp_central_uncut_views() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    sharp = frame.copy()
    sharp[::2, ::2] = 255  # a fine pattern: high Laplacian variance
    views = [
        VehicleView(1, frame, (600, 300, 700, 380)),  # small
        VehicleView(2, sharp, (560, 300, 760, 460)),  # large and sharp
        VehicleView(3, frame, (560, 300, 760, 460)),  # as large, blurred
        VehicleView(4, sharp, (1000, 300, 1200, 460)),  # as large and sharp, but far to the side
        VehicleView(5, sharp, (560, 560, 760, 720)),  # as large and sharp, cut by the frame's bottom
    ]
    assert [v.frame_index for v in rank_views(views, 5)] == [2, 4, 3, 5, 1]
    assert rank_views([], 3) == []


def test_a_wide_vehicle_is_searched_smaller_and_its_plate_found_where_it_is() -> None:
    """The search at 400 px finds the plate a full-size search finds; the OCR still reads it at
    full resolution and gets the text."""
    frame, box = street_frame("B 2817 PKW", "black", 900, x0=400, y0=100, size=(1920, 1080))
    view = VehicleView(1, frame, box)
    config = PlateConfig()
    assert config.search_vehicle_px == 400
    small = PlateDetector(config.detector, config.vehicle_margin, config.search_vehicle_px).find(view)
    full = PlateDetector(config.detector, config.vehicle_margin, None).find(view)
    assert small is not None and full is not None
    # Found again at full resolution around the coarse box: as tight as the plate (the full-size
    # search's box has ~15 px of road around it here), in frame pixels, not the shrunk crop's.
    sx0, sy0, sx1, sy1 = small.box
    fx0, fy0, fx1, fy1 = full.box
    assert fx0 - 2 <= sx0 < sx1 <= fx1 + 2 and fy0 - 2 <= sy0 < sy1 <= fy1 + 2
    assert sx1 - sx0 > 0.85 * (fx1 - fx0) and sx1 - sx0 > 200
    outcome = build_plate_reader(config).read([view])
    assert outcome.plate is not None and outcome.plate.text == "B2817PKW"
