"""Geometric and cross-reference checks of a parsed site file.

Pure functions: a `SiteFile` in, one `Problem` per problem out, each naming the field by its
path (so the calibration page can draw it next to the shape) and saying what is wrong. Used
by `etle-edge check-site`, by the loader before `run`, and by the calibration web tool.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pydantic import TypeAdapter, ValidationError

from edge.geometry import GroundPlane, polygon_is_valid, side_of_line

if TYPE_CHECKING:  # edge.config.load imports this module to run the checks at load time
    from edge.config.site import SiteFile, StopLine
    from edge.core import Box, Point

__all__ = ["Problem", "check_site", "find_problems", "shape_problems"]

# A stop line may stick out of its lanes a little (paint is wider than the lane polygon).
STOP_LINE_TOLERANCE_PX = 25.0
# Hand-drawn neighbours never share an edge exactly; more overlap than this is a drawing mistake.
LANE_OVERLAP_TOLERANCE = 0.02  # of the smaller lane's area
# An arrow drawn up to the lane's edge is fine; one reaching into the next lane is not.
ARROW_TOLERANCE_PX = 10.0
# Clicks are good to a pixel or two and tape measures to a few cm; beyond this a point is wrong.
MAX_REPROJECTION_RMS_PX = 3.0

Loc = tuple[str | int, ...]
_UNTANGLE = "move the vertices so that no edges cross"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: where (path of the field), why, and the id of the item it is in, if any.

    >>> str(Problem(("calibration", "lanes", 0, "polygon"), "not a simple polygon", "lane-1"))
    'calibration.lanes.0 (lane-1).polygon: not a simple polygon'
    >>> str(Problem((), "expected a mapping"))
    '(top level): expected a mapping'
    """

    loc: Loc
    reason: str
    item_id: str | None = None

    @property
    def field(self) -> str:
        parts = [str(p) for p in self.loc]
        if self.item_id is not None and len(parts) >= 3:
            parts[2] = f"{parts[2]} ({self.item_id})"
        return ".".join(parts) or "(top level)"

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


def _inside_image(points: Sequence[Point], width: int, height: int) -> bool:
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    return bool(np.all((arr[:, 0] >= 0) & (arr[:, 0] <= width) & (arr[:, 1] >= 0) & (arr[:, 1] <= height)))


def _box_problem(box: Box, width: int, height: int) -> str | None:
    x1, y1, x2, y2 = box
    if x2 <= x1 or y2 <= y1:
        return "box must have x2 > x1 and y2 > y1 (draw it from its top-left to its bottom-right corner)"
    if not _inside_image([(x1, y1), (x2, y2)], width, height):
        return f"box lies outside the {width}x{height} image"
    return None


def _polygon_reasons(points: Sequence[Point], width: int, height: int) -> Iterator[str]:
    reason = polygon_is_valid(points)
    if reason is not None:
        yield f"not a simple polygon: {reason}; {_UNTANGLE}"
    if not _inside_image(points, width, height):
        yield f"has points outside the {width}x{height} image"


def _polyline_reasons(points: Sequence[Point], width: int, height: int) -> Iterator[str]:
    line = shapely.LineString(points)
    if not line.length > 0:
        yield "has zero length"
    elif not line.is_simple:
        yield "crosses itself"
    if not _inside_image(points, width, height):
        yield f"has points outside the {width}x{height} image"


def _duplicates(ids: Sequence[str]) -> list[str]:
    return sorted({i for i in ids if ids.count(i) > 1})


def find_problems(site: SiteFile) -> list[Problem]:
    """Every problem of a parsed site file; empty when it is usable."""
    lane_shapes: dict[str, shapely.Polygon] = {}
    return [
        *_check_ids(site),
        *_check_lanes(site, lane_shapes),
        *_check_overlaps(site, lane_shapes),
        *_check_stop_lines(site, lane_shapes),
        *_check_signals(site),
        *_check_solid_lines(site),
        *_check_zones(site),
        *_check_restrictions(site),
        *_check_homography(site),
    ]


def check_site(site: SiteFile) -> list[str]:
    """Every problem as one line, `<field>: <reason>`; empty when the site is usable."""
    return [str(problem) for problem in find_problems(site)]


def _check_ids(site: SiteFile) -> Iterator[Problem]:
    cal = site.calibration
    lists: dict[str, Sequence[str]] = {
        "lanes": [x.id for x in cal.lanes],
        "stop_lines": [x.id for x in cal.stop_lines],
        "solid_lines": [x.id for x in cal.solid_lines],
        "signals": [x.id for x in cal.signals],
        "zones": [x.id for x in cal.zones],
        "restrictions": [x.id for x in cal.restrictions],
    }
    for kind, ids in lists.items():
        for dup in _duplicates(ids):
            yield Problem(("calibration", kind), f"id {dup!r} is used more than once; give each a unique id")


def _check_lanes(site: SiteFile, shapes: dict[str, shapely.Polygon]) -> Iterator[Problem]:
    """Also fills `shapes` with the valid lane polygons, for the checks that refer to lanes."""
    width, height = site.camera.resolution
    for i, lane in enumerate(site.calibration.lanes):
        loc: Loc = ("calibration", "lanes", i)
        for reason in _polygon_reasons(lane.polygon, width, height):
            yield Problem((*loc, "polygon"), reason, lane.id)
        if polygon_is_valid(lane.polygon) is None:
            shapes[lane.id] = shapely.Polygon(lane.polygon)
        if lane.direction[0] == lane.direction[1]:
            yield Problem((*loc, "direction"), "start and end are the same point", lane.id)
        elif lane.id in shapes:
            outside = shapely.LineString(lane.direction).difference(
                shapes[lane.id].buffer(ARROW_TOLERANCE_PX)).length
            if outside > 0:
                yield Problem((*loc, "direction"), f"arrow runs {outside:.0f} px outside its lane", lane.id)
        if lane.speed_limit_kmh is not None and site.calibration.homography is None:
            yield Problem((*loc, "speed_limit_kmh"), "measuring speed needs calibration.homography: "
                          "place ground points or remove the limit", lane.id)


def _check_overlaps(site: SiteFile, shapes: dict[str, shapely.Polygon]) -> Iterator[Problem]:
    index = {lane.id: i for i, lane in enumerate(site.calibration.lanes)}
    for (id_a, a), (id_b, b) in combinations(shapes.items(), 2):
        shared = a.intersection(b).area
        smaller = min(a.area, b.area)
        if smaller > 0 and shared > LANE_OVERLAP_TOLERANCE * smaller:
            yield Problem(("calibration", "lanes", index[id_b], "polygon"),
                          f"overlaps lane {id_a!r} by {shared:.0f} px² ({shared / smaller:.0%} of the smaller lane); "
                          "neighbouring lanes share an edge, not area", id_b)


def _check_stop_lines(site: SiteFile, lane_shapes: dict[str, shapely.Polygon]) -> Iterator[Problem]:
    cal = site.calibration
    lane_ids = {lane.id for lane in cal.lanes}
    signal_ids = {sig.id for sig in cal.signals}
    for i, stop in enumerate(cal.stop_lines):
        loc: Loc = ("calibration", "stop_lines", i)
        if stop.signal not in signal_ids:
            yield Problem((*loc, "signal"), f"unknown signal id {stop.signal!r}", stop.id)
        for dup in _duplicates(stop.lanes):
            yield Problem((*loc, "lanes"), f"lane {dup!r} is listed more than once", stop.id)
        if stop.line[0] == stop.line[1]:
            yield Problem((*loc, "line"), "has zero length", stop.id)
            continue
        segment = shapely.LineString(stop.line)
        for lane_id in dict.fromkeys(stop.lanes):
            if lane_id not in lane_ids:
                yield Problem((*loc, "lanes"), f"unknown lane id {lane_id!r}", stop.id)
            elif lane_id in lane_shapes and not segment.intersects(lane_shapes[lane_id]):
                yield Problem((*loc, "line"), f"does not cross its lane {lane_id!r}", stop.id)
        own = [lane_shapes[x] for x in stop.lanes if x in lane_shapes]
        if own:
            outside = segment.difference(shapely.union_all(own).buffer(STOP_LINE_TOLERANCE_PX)).length
            if outside > 0:
                yield Problem((*loc, "line"), f"extends {outside:.0f} px outside its lanes", stop.id)
        if stop.junction_line is not None:
            junction = (*loc, "junction_line")
            yield from (Problem(junction, reason, stop.id) for reason in _junction_reasons(site, stop, lane_shapes))


def _junction_reasons(site: SiteFile, stop: StopLine, lane_shapes: dict[str, shapely.Polygon]) -> Iterator[str]:
    """A junction-entry line lies beyond its stop line, in its lanes' direction, across the same lanes."""
    assert stop.junction_line is not None  # the caller checks
    width, height = site.camera.resolution
    if stop.junction_line[0] == stop.junction_line[1]:
        yield "has zero length"
        return
    if not _inside_image(stop.junction_line, width, height):
        yield f"has points outside the {width}x{height} image"
    junction = shapely.LineString(stop.junction_line)
    if junction.intersects(shapely.LineString(stop.line)):
        yield "crosses the stop line; draw it beyond the stop line, where the junction begins"
        return
    lanes = {lane.id: lane for lane in site.calibration.lanes}
    behind = []
    for lane_id in dict.fromkeys(stop.lanes):
        if lane_id not in lane_shapes or lane_id not in lanes:
            continue  # the lanes check names an unknown or broken lane
        if not junction.intersects(lane_shapes[lane_id]):
            yield f"does not cross the stop line's lane {lane_id!r}; draw it across every lane of the stop line"
        elif not _ahead_of(lanes[lane_id].direction, stop.line, stop.junction_line):
            behind.append(repr(lane_id))
    if behind:
        yield (f"lies before the stop line for lane {', '.join(behind)} (against the traffic); draw it past the "
               "stop line, where traffic enters the junction")


def _ahead_of(direction: tuple[Point, Point], stop: tuple[Point, Point], junction: tuple[Point, Point]) -> bool:
    """Whether the junction line's midpoint lies past the stop line in the lane's direction of travel
    (the side a step along the lane's arrow moves a point to)."""
    (ax, ay), (bx, by) = stop
    step = np.subtract(direction[1], direction[0])
    ahead = np.sign((bx - ax) * step[1] - (by - ay) * step[0])
    mid = np.mean(np.asarray(junction, dtype=float), axis=0, keepdims=True)
    return bool(ahead != 0 and np.sign(side_of_line(mid, stop)[0]) == ahead)


def _check_signals(site: SiteFile) -> Iterator[Problem]:
    width, height = site.camera.resolution
    for i, sig in enumerate(site.calibration.signals):
        loc: Loc = ("calibration", "signals", i)
        if sig.source == "vision" and sig.roi is None:
            yield Problem((*loc, "roi"), "required when source is vision: draw the red, amber and green lamps",
                          sig.id)
        if sig.roi is None:
            continue
        boxes = {lamp: getattr(sig.roi, lamp) for lamp in ("red", "amber", "green")}
        for lamp, box in boxes.items():
            reason = _box_problem(box, width, height)
            if reason is not None:
                yield Problem((*loc, "roi", lamp), reason, sig.id)
        for (name_a, a), (name_b, b) in combinations(boxes.items(), 2):
            if shapely.box(*a).intersection(shapely.box(*b)).area > 0:
                yield Problem((*loc, "roi", name_b), f"overlaps the {name_a} lamp; each box holds one lamp", sig.id)


def _check_solid_lines(site: SiteFile) -> Iterator[Problem]:
    width, height = site.camera.resolution
    for i, solid in enumerate(site.calibration.solid_lines):
        for reason in _polyline_reasons(solid.line, width, height):
            yield Problem(("calibration", "solid_lines", i, "line"), reason, solid.id)


def _check_zones(site: SiteFile) -> Iterator[Problem]:
    width, height = site.camera.resolution
    for i, zone in enumerate(site.calibration.zones):
        for reason in _polygon_reasons(zone.polygon, width, height):
            yield Problem(("calibration", "zones", i, "polygon"), reason, zone.id)


def _check_restrictions(site: SiteFile) -> Iterator[Problem]:
    lane_ids = {lane.id for lane in site.calibration.lanes}
    for i, rule in enumerate(site.calibration.restrictions):
        loc: Loc = ("calibration", "restrictions", i)
        for lane_id in dict.fromkeys(rule.lanes):
            if lane_id not in lane_ids:
                yield Problem((*loc, "lanes"), f"unknown lane id {lane_id!r}", rule.id)
        if rule.kind in ("busway", "class_ban") and not rule.allowed_classes:
            yield Problem((*loc, "allowed_classes"), f"a {rule.kind} must list the classes allowed in its lanes "
                          "(e.g. bus); with none, every vehicle would be a violation", rule.id)


def _check_homography(site: SiteFile) -> Iterator[Problem]:
    hom = site.calibration.homography
    if hom is None:
        return
    loc: Loc = ("calibration", "homography")
    if len(hom.image_points) != len(hom.world_points_m):
        yield Problem(loc, "image_points and world_points_m differ in length; give metres for every point")
        return
    width, height = site.camera.resolution
    for k, point in enumerate(hom.image_points):
        if not _inside_image([point], width, height):
            yield Problem((*loc, "image_points", k), f"lies outside the {width}x{height} image")
    try:
        plane = hom.plane()
    except ValueError as exc:
        yield Problem(loc, f"{exc}; spread the ground points over the road, no three on one line")
        return
    if plane.rms_px > MAX_REPROJECTION_RMS_PX:
        worst = int(np.argmax(plane.residuals_px))
        yield Problem(loc, f"reprojection error {plane.rms_px:.1f} px exceeds {MAX_REPROJECTION_RMS_PX:.0f} px: "
                      f"a point or its metres are wrong (worst: point {worst}, {plane.residuals_px[worst]:.1f} px off)")
    if not plane.visible(np.asarray(hom.image_points, dtype=float)).all():
        yield Problem(loc, "the ground points lie on both sides of the fitted horizon: their metres do not "
                      "match their pixels")
        return
    yield from _beyond_horizon(site, plane)


def _beyond_horizon(site: SiteFile, plane: GroundPlane) -> Iterator[Problem]:
    """Road geometry above the fitted horizon cannot be on the ground: the homography is wrong."""
    cal = site.calibration
    shapes: list[tuple[str, int, str, str, Sequence[Point]]] = [
        *(("lanes", i, "polygon", x.id, x.polygon) for i, x in enumerate(cal.lanes)),
        *(("stop_lines", i, "line", x.id, x.line) for i, x in enumerate(cal.stop_lines)),
        *(("stop_lines", i, "junction_line", x.id, x.junction_line) for i, x in enumerate(cal.stop_lines)
          if x.junction_line is not None),
        *(("zones", i, "polygon", x.id, x.polygon) for i, x in enumerate(cal.zones)),
    ]
    for kind, i, field, item_id, points in shapes:
        if not plane.visible(np.asarray(points, dtype=float)).all():
            yield Problem(("calibration", kind, i, field), "reaches above the horizon of the ground-plane "
                          "homography: check the ground points and their metres", item_id)


_POINTS = TypeAdapter(list[tuple[float, float]])
_SIZE = TypeAdapter(tuple[int, int])
_RAW_SHAPES = (("lanes", "polygon", 3, _polygon_reasons), ("zones", "polygon", 3, _polygon_reasons),
               ("solid_lines", "line", 2, _polyline_reasons))


def _raw_list(data: Mapping[str, Any], kind: str) -> list[Any]:
    cal = data.get("calibration")
    items = cal.get(kind) if isinstance(cal, Mapping) else None
    return items if isinstance(items, list) else []


def shape_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Checks of single shapes on raw site data that did not parse as a whole.

    While a technician draws, a new lane has no direction yet, so the site file is invalid
    and `find_problems` cannot run; its polygon can still be checked on its own, so a bow tie
    shows at once. Returns nothing when the frame size itself is unusable.
    """
    camera = data.get("camera")
    try:
        width, height = _SIZE.validate_python(camera.get("resolution") if isinstance(camera, Mapping) else None)
    except ValidationError:
        return []
    problems = []
    for kind, field, minimum, reasons in _RAW_SHAPES:
        for i, item in enumerate(_raw_list(data, kind)):
            if not isinstance(item, Mapping):
                continue
            try:
                points = _POINTS.validate_python(item.get(field))
            except ValidationError:
                continue  # the parse error already names this field
            item_id = item.get("id") if isinstance(item.get("id"), str) else None
            if len(points) >= minimum:
                loc: Loc = ("calibration", kind, i, field)
                problems += [Problem(loc, reason, item_id) for reason in reasons(points, width, height)]
    return problems
