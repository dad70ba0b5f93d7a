"""site.yaml for a rendered scene: every feature drawn from the exact camera, clipped to the frame."""

from __future__ import annotations

import math

import numpy as np
import yaml

from evaluation.camera import Camera
from evaluation.charges import IDS
from evaluation.scene import WINDOWS, Setting

Pt = tuple[float, float]
ALL_CLASSES = ["car", "motorcycle", "bus", "truck", "bicycle"]


def clip_polygon(poly: list[Pt], w: int, h: int) -> list[Pt]:
    """Sutherland-Hodgman against the frame, so every vertex is a pixel of the image."""
    for axis, limit, sign in ((0, 0.0, 1), (0, w - 1.0, -1), (1, 0.0, 1), (1, h - 1.0, -1)):
        out: list[Pt] = []
        for i, cur in enumerate(poly):
            prev = poly[i - 1]
            cur_in, prev_in = sign * (cur[axis] - limit) >= 0, sign * (prev[axis] - limit) >= 0
            if cur_in != prev_in:
                k = (limit - prev[axis]) / (cur[axis] - prev[axis])
                out.append((prev[0] + k * (cur[0] - prev[0]), prev[1] + k * (cur[1] - prev[1])))
            if cur_in:
                out.append(cur)
        poly = out
        if not poly:
            return []
    return poly


def clip_segment(a: Pt, b: Pt, w: int, h: int) -> list[Pt] | None:
    """Liang-Barsky: the part of segment a-b inside the frame, or None."""
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0]), (dx, w - 1.0 - a[0]), (-dy, a[1]), (dy, h - 1.0 - a[1])):
        if p == 0:
            if q < 0:
                return None
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
    if t1 - t0 < 1e-3:
        return None
    return [(a[0] + t0 * dx, a[1] + t0 * dy), (a[0] + t1 * dx, a[1] + t1 * dy)]


def _r(p: Pt) -> list[float]:
    return [round(float(p[0]), 1), round(float(p[1]), 1)]


def _ground_line(cam: Camera, x0: float, x1: float, y0: float, y1: float) -> list[list[float]] | None:
    seg = clip_segment(cam.ground(x0, y0), cam.ground(x1, y1), cam.width, cam.height)
    return None if seg is None else [_r(p) for p in seg]


def homography_points(st: Setting) -> tuple[list[list[float]], list[list[float]]]:
    """Exact ground points in view: lane-line feet at several distances, spread over the frame."""
    cam, lay = st.cam, st.lay
    image, world = [], []
    for y in (lay.junction_y, lay.stop_y, lay.stop_y + 6.0, lay.stop_y + 12.0):
        for x in lay.edges:
            u, v = cam.ground(x, y)
            if cam.inside(u, v, 10):
                image.append(_r((u, v)))
                world.append([round(x, 3), round(y, 3)])
    return image, world


def _lanes(st: Setting) -> list[dict[str, object]]:
    cam, lay = st.cam, st.lay
    out = []
    near = max(0.5, st.ctx.near_y - 6.0)
    for k in st.ctx.usable:  # lanes that leave the frame near the stop line carry no traffic and no rules
        xl, xr = lay.edges[k], lay.edges[k + 1]
        far = lay.stop_y + 110.0
        ring = [cam.ground(xl, far), cam.ground(xl, near), cam.ground(xr, near), cam.ground(xr, far)]
        poly = clip_polygon(ring, cam.width, cam.height)
        if len(poly) < 3 or abs(_area(poly)) < 50:
            continue
        xc = lay.centre(k)
        out.append({
            "id": lay.lane_id(k), "polygon": [_r(p) for p in poly],
            "direction": [_r(cam.ground(xc, lay.stop_y + 8.0)), _r(cam.ground(xc, lay.junction_y + 0.5))],
            "speed_limit_kmh": lay.speed_limits_kmh[k],
            "allowed_classes": ["bus"] if lay.busway and k == 0 else list(ALL_CLASSES)})
    return out


def _area(poly: list[Pt]) -> float:
    xs, ys = np.array([p[0] for p in poly]), np.array([p[1] for p in poly])
    return float(0.5 * (xs @ np.roll(ys, -1) - ys @ np.roll(xs, -1)))


def _restrictions(st: Setting, lane_ids: set[str]) -> list[dict[str, object]]:
    lay, ctx = st.lay, st.ctx
    found: list[dict[str, object]] = []

    def add(rid: str, kind: str, lanes: list[int], window: str, allowed: list[str] | None) -> None:
        ids = [lay.lane_id(k) for k in lanes if lay.lane_id(k) in lane_ids]
        if ids:
            entry: dict[str, object] = {"id": rid, "kind": kind, "lanes": ids}
            if allowed is not None:
                entry["allowed_classes"] = allowed
            entry["windows"] = [window]
            found.append(entry)

    if lay.busway:
        add(IDS["busway"], "busway", [0], WINDOWS["busway"], ["bus"])
    add(IDS["ban"], "class_ban", [ctx.ban_lane], WINDOWS["ban"], ["car", "motorcycle", "bus", "bicycle"])
    add(IDS["idle"], "class_ban", [ctx.idle_lane], WINDOWS["idle"], ["car", "bus", "truck", "bicycle"])
    if ctx.odd_even_lanes:
        add(IDS["odd_even"], "odd_even", list(ctx.odd_even_lanes), WINDOWS["odd_even"], None)
    return found


def site_dict(st: Setting) -> dict[str, object]:
    cam, lay = st.cam, st.lay
    lanes = _lanes(st)
    lane_ids = {str(lane["id"]) for lane in lanes}
    image, world = homography_points(st)
    # across the lanes the site file describes (those in view), as a technician would draw them
    x0, x1 = lay.edges[min(st.ctx.usable)], lay.edges[max(st.ctx.usable) + 1]
    stop = _ground_line(cam, x0, x1, lay.stop_y, lay.stop_y)
    junction = _ground_line(cam, x0, x1, lay.junction_y, lay.junction_y)
    solid = _ground_line(cam, lay.solid_x, lay.solid_x, lay.solid_y[0], lay.solid_y[1])
    (zx0, zx1), (zy0, zy1) = lay.zone_x, lay.zone_y
    zone = clip_polygon([cam.ground(zx0, zy1), cam.ground(zx0, zy0), cam.ground(zx1, zy0), cam.ground(zx1, zy1)],
                        cam.width, cam.height)
    rois = {}
    for colour, centre in lay.lamp_centres().items():
        u, v = cam.project([centre])[0]
        r = max(4.0, lay.lamp_radius_m * cam.px_per_m(*lay.signal_xy, lay.signal_top_m))
        rois[colour] = [math.floor(u - r), math.floor(v - r), math.ceil(u + r), math.ceil(v + r)]
    ordered = sorted(lane_ids, key=lambda s: int(s[5:]))
    stop_line: dict[str, object] = {"id": IDS["stop"], "line": stop, "lanes": ordered, "signal": IDS["signal"]}
    if junction is not None:
        stop_line["junction_line"] = junction
    calib: dict[str, object] = {
        "version": 1,
        "homography": {"image_points": image, "world_points_m": world},
        "lanes": lanes,
        "stop_lines": [stop_line],
        "solid_lines": [{"id": IDS["solid"], "line": solid}] if solid else [],
        "signals": [{"id": IDS["signal"], "source": "vision", "roi": rois}],
        "zones": [{"id": IDS["zone"], "kind": "no_stopping", "polygon": [_r(p) for p in zone],
                   "max_dwell_s": lay.max_dwell_s}] if len(zone) >= 3 else [],
        "restrictions": _restrictions(st, lane_ids),
    }
    return {
        "site": {"id": f"eval-{st.split}-{st.seed}", "name": f"Evaluation scene {st.split}/{st.seed} (synthetic)",
                 "timezone": "Asia/Jakarta", "location": {"lat": -6.2, "lon": 106.82}},
        "camera": {"id": "cam-01", "source": "clip.mp4", "fps": st.fps, "resolution": [cam.width, cam.height],
                   "start_time": st.start_time},
        "calibration": calib,
        "articles": {},
    }


def site_yaml(st: Setting) -> str:
    head = f"# Generated by `python -m evaluation render` (seed {st.seed}, split {st.split}); exact camera.\n"
    return head + yaml.safe_dump(site_dict(st), sort_keys=False, default_flow_style=None, width=120)
