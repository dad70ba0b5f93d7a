"""Geometric and cross-reference checks of a parsed site file.

Pure functions: a `SiteFile` in, one line per problem out, each naming the field. Used by
`etle-edge check-site`, by the loader before `run`, and later by the calibration web tool.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import shapely

from edge.geometry import fit_homography, polygon_is_valid

if TYPE_CHECKING:  # edge.config imports this module to run the checks at load time
    from edge.config import Box, Point, SiteFile

# A stop line may stick out of its lanes a little (paint is wider than the lane polygon).
STOP_LINE_TOLERANCE_PX = 25.0


def _inside_image(points: Sequence[Point], width: int, height: int) -> bool:
    arr = np.asarray(points, dtype=float)
    return bool(np.all((arr[:, 0] >= 0) & (arr[:, 0] <= width) & (arr[:, 1] >= 0) & (arr[:, 1] <= height)))


def _box_problem(box: Box, width: int, height: int) -> str | None:
    x1, y1, x2, y2 = box
    if x2 <= x1 or y2 <= y1:
        return "box must have x2 > x1 and y2 > y1"
    if not _inside_image([(x1, y1), (x2, y2)], width, height):
        return f"box lies outside the {width}x{height} image"
    return None


def _duplicates(ids: list[str]) -> set[str]:
    return {i for i in ids if ids.count(i) > 1}


def check_site(site: SiteFile) -> list[str]:
    """Every problem of a parsed site file, one line each; empty when it is usable."""
    lane_shapes: dict[str, shapely.Polygon] = {}
    return [
        *_check_ids(site),
        *_check_lanes(site, lane_shapes),
        *_check_stop_lines(site, lane_shapes),
        *_check_signals(site),
        *_check_areas(site),
        *_check_homography(site),
    ]


def _check_ids(site: SiteFile) -> Iterator[str]:
    cal = site.calibration
    for kind, ids in (
        ("lanes", [lane.id for lane in cal.lanes]),
        ("stop_lines", [s.id for s in cal.stop_lines]),
        ("signals", [s.id for s in cal.signals]),
    ):
        for dup in sorted(_duplicates(ids)):
            yield f"calibration.{kind}: id {dup!r} is used more than once"


def _check_lanes(site: SiteFile, shapes: dict[str, shapely.Polygon]) -> Iterator[str]:
    """Also fills `shapes` with the valid lane polygons, for the checks that refer to lanes."""
    width, height = site.camera.resolution
    for i, lane in enumerate(site.calibration.lanes):
        where = f"calibration.lanes.{i} ({lane.id})"
        reason = polygon_is_valid(lane.polygon)
        if reason is not None:
            yield f"{where}.polygon: not a simple polygon: {reason}"
        else:
            shapes[lane.id] = shapely.Polygon(lane.polygon)
        if not _inside_image(lane.polygon, width, height):
            yield f"{where}.polygon: has points outside the {width}x{height} image"
        if lane.direction[0] == lane.direction[1]:
            yield f"{where}.direction: start and end are the same point"


def _check_stop_lines(site: SiteFile, lane_shapes: dict[str, shapely.Polygon]) -> Iterator[str]:
    cal = site.calibration
    lane_ids = {lane.id for lane in cal.lanes}
    signal_ids = {sig.id for sig in cal.signals}
    for i, stop in enumerate(cal.stop_lines):
        where = f"calibration.stop_lines.{i} ({stop.id})"
        if stop.signal not in signal_ids:
            yield f"{where}.signal: unknown signal id {stop.signal!r}"
        if stop.line[0] == stop.line[1]:
            yield f"{where}.line: has zero length"
            continue
        segment = shapely.LineString(stop.line)
        for lane_id in stop.lanes:
            if lane_id not in lane_ids:
                yield f"{where}.lanes: unknown lane id {lane_id!r}"
            elif lane_id in lane_shapes and not segment.intersects(lane_shapes[lane_id]):
                yield f"{where}.line: does not cross its lane {lane_id!r}"
        own = [lane_shapes[x] for x in stop.lanes if x in lane_shapes]
        if own:
            outside = segment.difference(shapely.union_all(own).buffer(STOP_LINE_TOLERANCE_PX)).length
            if outside > 0:
                yield f"{where}.line: extends {outside:.0f} px outside its lanes"


def _check_signals(site: SiteFile) -> Iterator[str]:
    width, height = site.camera.resolution
    for i, sig in enumerate(site.calibration.signals):
        where = f"calibration.signals.{i} ({sig.id})"
        if sig.source == "vision" and sig.roi is None:
            yield f"{where}.roi: required when source is vision"
        if sig.roi is not None:
            for lamp in ("red", "amber", "green"):
                reason = _box_problem(getattr(sig.roi, lamp), width, height)
                if reason is not None:
                    yield f"{where}.roi.{lamp}: {reason}"


def _check_areas(site: SiteFile) -> Iterator[str]:
    cal = site.calibration
    lane_ids = {lane.id for lane in cal.lanes}
    for i, solid in enumerate(cal.solid_lines):
        if not shapely.LineString(solid.line).length > 0:
            yield f"calibration.solid_lines.{i} ({solid.id}).line: has zero length"
    for i, zone in enumerate(cal.zones):
        reason = polygon_is_valid(zone.polygon)
        if reason is not None:
            yield f"calibration.zones.{i} ({zone.id}).polygon: not a simple polygon: {reason}"
    for i, rule in enumerate(cal.restrictions):
        for lane_id in rule.lanes:
            if lane_id not in lane_ids:
                yield f"calibration.restrictions.{i} ({rule.id}).lanes: unknown lane id {lane_id!r}"


def _check_homography(site: SiteFile) -> Iterator[str]:
    hom = site.calibration.homography
    if hom is None:
        return
    if len(hom.image_points) != len(hom.world_points_m):
        yield "calibration.homography: image_points and world_points_m differ in length"
        return
    try:
        fit_homography(hom.image_points, hom.world_points_m)
    except ValueError as exc:
        yield f"calibration.homography: {exc}"
