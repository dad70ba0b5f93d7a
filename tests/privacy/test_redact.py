"""The pure parts of redaction, as tables (the empty case included): hiding, keeping sharp, the
regions between clip keyframes, tiles, merging duplicate plates, what is published, and the
fail-closed copy when a detector breaks."""

from __future__ import annotations

import gc
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from edge.core import Box
from edge.errors import ModelError
from edge.evidence.event import MediaItem
from edge.evidence.redaction import RedactionJob, keyframes, run_redaction, violator_box
from edge.evidence.writer import published
from edge.privacy.config import PrivacyConfig
from edge.privacy.find import Found, FrameLooks, Look, merged, tiles
from edge.privacy.redact import Mosaic, Pixels, Region, between, cell_size, redact
from edge.sources import Frame
from tests.builders import T0

NOISE = np.random.default_rng(7).integers(0, 256, (120, 160, 3), dtype=np.uint8)


def region(box: Pixels, kind: str = "plate") -> Region:
    return Region(box, kind, 0.5, "test")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("regions", "keep", "changed", "unchanged"),
    [
        ([], [], [], [(0, 0, 160, 120)]),
        ([region((20, 20, 60, 50))], [], [(20, 20, 60, 50)], [(100, 0, 160, 120)]),
        ([region((20, 20, 60, 50))], [(30, 30, 40, 40)], [(20, 20, 29, 29)], [(30, 30, 40, 40)]),
        ([region((150, 110, 200, 200))], [], [(150, 110, 160, 120)], [(0, 0, 140, 100)]),  # clipped at the edge
        ([region((0, 0, 160, 120), "outside_vehicle")], [(50, 40, 110, 90)], [(0, 0, 40, 30)], [(50, 40, 110, 90)]),
    ],
    ids=["nothing to hide", "one plate", "a kept box inside it stays sharp", "cut by the frame",
         "fail closed: all but the violator"],
)
def test_redact(regions: list[Region], keep: list[Pixels], changed: list[Pixels], unchanged: list[Pixels]) -> None:
    out = redact(NOISE, regions, keep, Mosaic(cell_px=8, max_cells=4, margin=0.0))
    assert out.shape == NOISE.shape and out is not NOISE
    for x1, y1, x2, y2 in changed:
        assert not (out[y1:y2, x1:x2] == NOISE[y1:y2, x1:x2]).all()
    for x1, y1, x2, y2 in unchanged:
        assert (out[y1:y2, x1:x2] == NOISE[y1:y2, x1:x2]).all()


def test_a_hidden_region_keeps_no_detail() -> None:
    """Noise is all detail: hidden, what is left varies far less than the original did."""
    out = redact(NOISE, [region((0, 0, 160, 120))], [], Mosaic())
    assert out.std() < 0.25 * NOISE.std()


@pytest.mark.parametrize(("width", "height", "expected"), [(200, 60, 15), (20, 30, 12), (1, 1, 12), (400, 400, 100)])
def test_cell_size(width: int, height: int, expected: int) -> None:
    assert cell_size(width, height, Mosaic(cell_px=12, max_cells=4)) == expected


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ([], [], []),
        ([region((0, 0, 10, 10))], [], [(0, 0, 10, 10), (-10, -10, 20, 20)]),
        ([region((0, 0, 10, 10))], [region((20, 0, 30, 10))], [(0, 0, 10, 10), (20, 0, 30, 10), (0, 0, 30, 10)]),
        ([region((0, 0, 10, 10))], [region((200, 0, 210, 10))],
         [(0, 0, 10, 10), (200, 0, 210, 10), (-10, -10, 20, 20), (190, -10, 220, 20)]),
        ([region((0, 0, 10, 10), "person")], [region((5, 0, 15, 10))],
         [(0, 0, 10, 10), (5, 0, 15, 10), (-10, -10, 20, 20), (-5, -10, 25, 20)]),
    ],
    ids=["empty", "only before: widened", "matched: the span", "too far to be the same", "different kinds"],
)
def test_between_keyframes(before: list[Region], after: list[Region], expected: list[Pixels]) -> None:
    assert [r.box for r in between(before, after)] == expected


@pytest.mark.parametrize(
    ("width", "height", "count"), [(1280, 720, 6), (1920, 1080, 8), (640, 640, 1), (100, 50, 1)])
def test_tiles_cover_the_frame(width: int, height: int, count: int) -> None:
    corners = tiles(width, height, 640, 96)
    assert len(corners) == count
    covered = np.zeros((height, width), bool)
    for x, y in corners:
        covered[y:y + 640, x:x + 640] = True
    assert covered.all()


def test_merged_plates() -> None:
    assert merged([]) == []
    hits: list[tuple[Box, float]] = [((0, 0, 10, 10), 0.5), ((0, 1, 10, 11), 0.6), ((30, 0, 40, 10), 0.4)]
    assert merged(hits) == [((0, 0, 10, 11), 0.6), ((30, 0, 40, 10), 0.4)]


def test_keyframes_and_the_violators_box() -> None:
    assert keyframes(list(range(10, 20)), 3) == (10, 12, 15, 18, 19)
    assert keyframes([4], 3) == (4,)
    # Two violations' clips overlapping by six frames look at the same frames there.
    first, second = keyframes(list(range(10, 20)), 3), keyframes(list(range(14, 24)), 3)
    assert set(first) & set(second) == {15, 18}
    assert violator_box({}, 5) is None


def item(name: str, source: str | None = None) -> MediaItem:
    role = name.split(".", maxsplit=1)[0].removesuffix("_redacted")
    return MediaItem(name, role, "0" * 64, 1, "image/jpeg", 1, T0, "redacted" if source else "original", source)


@pytest.mark.parametrize(
    ("publish", "shown", "kept"),
    [("redacted", ["plate.jpg", "a.redacted.jpg"], ["a.jpg", "clip.mp4"]),  # no copy of the clip: not sent
     ("both", ["a.jpg", "plate.jpg", "clip.mp4", "a.redacted.jpg"], [])],
)
def test_what_is_published(publish: str, shown: list[str], kept: list[str]) -> None:
    media = [item("a.jpg"), item("plate.jpg"), item("clip.mp4"), item("a.redacted.jpg", "a.jpg")]
    out, withheld = published(media, publish)  # type: ignore[arg-type]
    assert [m.name for m in out] == shown and [m.name for m in withheld] == kept


class Broken:
    """A finder whose model cannot run (what a corrupt or missing runtime does mid-run)."""

    models: tuple[tuple[str, Path], ...] = ()

    def find(self, image: NDArray[np.uint8], violator: Box | None, tiles: bool = True) -> Found:
        raise ModelError("the model cannot run")


def test_a_failing_detector_hides_everything_but_the_violator() -> None:
    frames = tuple(Frame(NOISE.copy(), i, T0 + timedelta(seconds=i / 10)) for i in range(6))
    job = RedactionJob(frames[2:3], frames, {i: (40.0, 30.0, 100.0, 90.0) for i in range(6)}, 10.0, PrivacyConfig())
    made = run_redaction(Broken(), job)
    assert made.failure is not None and "the model cannot run" in made.failure
    still = made.stills[2]
    assert (still[30:90, 40:100] == NOISE[30:90, 40:100]).all()
    assert not (still[0:20, 0:30] == NOISE[0:20, 0:30]).all()
    assert made.clip is not None  # the clip is redacted all the same, frame by frame
    assert all(f.found.regions[0].kind == "outside_vehicle" for f in made.found)


def test_a_frames_look_lives_as_long_as_the_frame_and_no_longer() -> None:
    looks, look = FrameLooks(kept=2), Look((((0.0, 0.0, 4.0, 4.0), 0.9),), (), ())
    first = np.zeros((8, 8, 3), np.uint8)
    looks.put(first, False, look)
    assert looks.get(first, False) is look
    assert looks.get(first, True) is None  # looked at without the tiles: the stills' search is not done
    assert looks.get(first.copy(), False) is None  # equal pixels, another frame
    del first
    gc.collect()
    assert len(looks) == 0  # freed with its frame
    frames = [np.zeros((8, 8, 3), np.uint8) for _ in range(3)]
    for frame in frames:
        looks.put(frame, False, look)
    assert len(looks) == 2 and looks.get(frames[0], False) is None  # the oldest goes first
