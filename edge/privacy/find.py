"""Finding what to hide in one evidence frame with the bundled detectors.

Run on the few frames that become evidence (the stills and the clip's keyframes), never on the
live stream. Persons come from the COCO CenterNet; plates from the plate detector, run on the
detected vehicles' windows (packed several to one detector input at native scale, or one run
each, scaled up: `plate_search`) and, on the stills, on overlapping tiles of the frame at the
model's own input size (a plate on a vehicle the CenterNet missed). The violator is known by its
box in that frame: a person mostly inside it is its driver or rider, and a plate centred inside it
is its plate; both stay sharp.

What the detectors see in a frame does not depend on whose evidence it is, so it is kept while
the frame lives (`FrameLooks`): violations close together share clip frames, and each frame is
looked at once. Only the violator's own window is searched again, when no detected vehicle
stands where its box is.
"""

from __future__ import annotations

import math
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import supervision as sv
from numpy.typing import NDArray

from edge.core import Box, iou
from edge.detect.centernet import CenterNetDetector
from edge.detect.yolo import YoloDetector
from edge.imaging import margin_window
from edge.privacy.config import PrivacyConfig
from edge.privacy.pack import paint, shelves, unpack
from edge.privacy.redact import Pixels, Region, whole

PLATE_REASON = "another vehicle's plate"
PERSON_REASON = "bystander"
VEHICLE_MARGIN = 0.1  # around a vehicle's box before its plate is looked for (as the plate reader does)
TILE_OVERLAP_PX = 96  # wider than any plate the clip shows: each one lies whole inside some tile
SHEET_PX = 640  # the plate detector's input: vehicles packed at native scale (edge.privacy.pack)
SAME_VEHICLE_IOU = 0.5  # a detected box this close to the violator's: its window was already searched
LOOKS_KEPT = 256  # frames whose looks are kept at most (each also leaves when its frame is freed)


@dataclass(frozen=True, slots=True)
class Found:
    """One frame's result: what to hide and what to keep sharp (the violator's plates)."""

    regions: tuple[Region, ...]
    keep: tuple[Pixels, ...]


Hit = tuple[Box, float]


@dataclass(frozen=True, slots=True)
class Look:
    """What the detectors saw in one frame, whoever's evidence it is."""

    persons: tuple[Hit, ...]
    vehicles: tuple[Box, ...]
    plates: tuple[Hit, ...]  # on the vehicles' windows (and the tiles, when they were searched)


class FrameLooks:
    """Looks by frame, for as long as the frame's pixels live (frames are shared, never copied, so
    one array is one frame) and at most `kept` of them. One thread uses it: the evidence worker's."""

    def __init__(self, kept: int = LOOKS_KEPT) -> None:
        self._kept = kept
        self._looks: OrderedDict[tuple[int, bool], tuple[weakref.ref[NDArray[np.uint8]], Look]] = OrderedDict()

    def get(self, image: NDArray[np.uint8], tiles: bool) -> Look | None:
        entry = self._looks.get((id(image), tiles))
        # The identity check: an id can be reused once its array is freed, and the callback that
        # forgets it may not have run yet.
        return entry[1] if entry is not None and entry[0]() is image else None

    def put(self, image: NDArray[np.uint8], tiles: bool, look: Look) -> None:
        key = (id(image), tiles)
        self._looks[key] = (weakref.ref(image, lambda _ref: self._looks.pop(key, None)), look)
        while len(self._looks) > self._kept:
            self._looks.popitem(last=False)

    def __len__(self) -> int:
        return len(self._looks)


def inside_fraction(box: Box, outer: Box) -> float:
    """How much of `box`'s area lies inside `outer` (0 for an empty box).

    >>> inside_fraction((0, 0, 10, 10), (5, 0, 20, 10)), inside_fraction((0, 0, 0, 5), (0, 0, 9, 9))
    (0.5, 0.0)
    """
    w = max(0.0, min(box[2], outer[2]) - max(box[0], outer[0]))
    h = max(0.0, min(box[3], outer[3]) - max(box[1], outer[1]))
    area = max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])
    return w * h / area if area > 0 else 0.0


def centred_in(box: Box, outer: Box) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


def tiles(width: int, height: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """Top-left corners of `size` tiles covering the frame, neighbours overlapping by at least `overlap`.

    >>> tiles(1280, 720, 640, 96)
    [(0, 0), (320, 0), (640, 0), (0, 80), (320, 80), (640, 80)]
    >>> tiles(300, 200, 640, 96)
    [(0, 0)]
    """
    def starts(extent: int) -> list[int]:
        if extent <= size:
            return [0]
        count = math.ceil((extent - overlap) / (size - overlap))
        return [round(i * (extent - size) / (count - 1)) for i in range(count)]
    return [(x, y) for y in starts(height) for x in starts(width)]


def merged(hits: list[Hit], iou_above: float = 0.3) -> list[Hit]:
    """One hit per object: hits overlapping by an IoU above `iou_above` (the same plate seen in a vehicle's
    crop and in two tiles) become their union, with the best score.

    >>> merged([((0, 0, 10, 10), 0.5), ((1, 0, 11, 10), 0.7), ((50, 50, 60, 60), 0.4)])
    [((0, 0, 11, 10), 0.7), ((50, 50, 60, 60), 0.4)]
    """
    out: list[Hit] = []
    for box, score in sorted(hits, key=lambda h: -h[1]):
        for k, (kept, best) in enumerate(out):
            if iou(box, kept) > iou_above:
                out[k] = ((min(box[0], kept[0]), min(box[1], kept[1]), max(box[2], kept[2]), max(box[3], kept[3])),
                          best)
                break
        else:
            out.append((box, score))
    return out


def _boxes(found: sv.Detections) -> list[Hit]:
    scores = found.confidence if found.confidence is not None else np.ones(len(found))
    return [((float(b[0]), float(b[1]), float(b[2]), float(b[3])), float(s)) for b, s in zip(found.xyxy, scores,
                                                                                              strict=True)]


class RegionFinder:
    """The two bundled detectors, loaded once; `models` names their weights (role, file)."""

    def __init__(self, config: PrivacyConfig) -> None:
        config = config.resolved()
        self._config = config
        self._objects = CenterNetDetector(config.objects)
        self._plates = YoloDetector(config.plates)
        self._looks = FrameLooks()
        self.models: tuple[tuple[str, Path], ...] = (("privacy_objects", config.objects.model),
                                                     ("privacy_plates", config.plates.model))

    def find(self, image: NDArray[np.uint8], violator: Box | None, tiles: bool = True) -> Found:
        """What to hide in the frame; `violator`: the violating vehicle's box there (None: unknown,
        so nothing is taken for the violator's); `tiles`: also search the frame's tiles for plates
        (the stills; the clip's keyframes skip them, see `plate_tile_px`)."""
        tiles = tiles and self._config.plate_tile_px > 0  # without tiles a still is looked at as a keyframe
        look = self._looks.get(image, tiles)
        if look is None:
            look = self.look(image, tiles)
            self._looks.put(image, tiles, look)
        plates = list(look.plates)
        if violator is not None and not any(iou(violator, box) >= SAME_VEHICLE_IOU for box in look.vehicles):
            plates = merged(plates + self._plates_on(image, [violator], False))
        regions = [Region(whole(box), "person", round(score, 4), PERSON_REASON) for box, score in look.persons
                   if violator is None or inside_fraction(box, violator) < self._config.rider_overlap]
        keep = [whole(b) for b, _ in plates if violator is not None and centred_in(b, violator)]
        regions += [Region(whole(b), "plate", round(s, 4), PLATE_REASON) for b, s in plates
                    if violator is None or not centred_in(b, violator)]
        return Found(tuple(regions), tuple(keep))

    def look(self, image: NDArray[np.uint8], tiles: bool) -> Look:
        """Persons and vehicles, and the plates on the vehicles (and on the tiles when `tiles`)."""
        objects = self._objects.detect(image)
        names = objects.data.get("class_name", np.array([], dtype=str))
        persons: list[Hit] = []
        vehicles: list[Box] = []
        for (box, score), name in zip(_boxes(objects), names, strict=True):
            if name == "person":
                persons.append((box, score))
            else:
                vehicles.append(box)
        return Look(tuple(persons), tuple(vehicles), tuple(self._plates_on(image, vehicles, tiles)))

    def _plates_on(self, image: NDArray[np.uint8], vehicles: list[Box], tiled: bool) -> list[Hit]:
        height, width = image.shape[:2]
        windows = [w for w in (margin_window(image.shape, box, VEHICLE_MARGIN) for box in vehicles)
                   if min(w[2] - w[0], w[3] - w[1]) >= 8]
        found = []
        if self._config.plate_search == "packed":
            for sheet in shelves(windows, SHEET_PX):
                for box, score in _boxes(self._plates.detect(paint(image, sheet))):
                    mapped = unpack(sheet, box)
                    if mapped is not None:
                        found.append((mapped, score))
            windows = []
        size = self._config.plate_tile_px
        if tiled and size > 0:
            windows += [(x, y, min(width, x + size), min(height, y + size))
                        for x, y in tiles(width, height, size, TILE_OVERLAP_PX)]
        for left, top, right, bottom in windows:
            for (x1, y1, x2, y2), score in _boxes(self._plates.detect(image[top:bottom, left:right])):
                found.append(((x1 + left, y1 + top, x2 + left, y2 + top), score))
        return merged(found)
