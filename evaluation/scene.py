"""A scene drawn from a seed: camera, road layout, signal plan, lighting, restrictions, traffic."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from evaluation.behaviours import Ctx
from evaluation.camera import Camera
from evaluation.layout import Layout, SignalMount, SignalPlan
from evaluation.vehicles import PLATE_M

LIGHTING = ("day", "dusk", "overcast", "rain")
WINDOWS = {"busway": "05:00-22:00", "ban": "06:00-21:00", "idle": "22:00-23:30", "odd_even": "06:00-10:00"}
ODD_EVEN_MIN_PX = 80.0


@dataclass(frozen=True)
class Setting:
    """Everything about a scene except its traffic."""

    seed: int
    split: str
    cam: Camera
    lay: Layout
    signals: SignalPlan
    fps: float
    frames: int
    start_time: str
    lighting: str
    ctx: Ctx

    @property
    def date(self) -> date:
        return date.fromisoformat(self.start_time[:10])


def _stop_distance(rng: np.random.Generator, w: int, f: float, cam_x: float, road_w: float, wide: bool) -> float:
    """Wide views show the whole stop line; enforcement views stand close (plates large), lanes may leave the frame."""
    if not wide:
        return float(rng.uniform(13, 20))
    half = math.atan(w / 2 / f) * 0.85
    need = max(abs(cam_x), abs(road_w - cam_x)) / math.tan(half)
    return max(need, float(rng.uniform(16, 28)))


def _aim(size: tuple[int, int], f: float, mount: tuple[float, float, float, float],
         look: tuple[float, float, float]) -> Camera:
    """A camera at ``mount`` = (x, height, yaw jitter, roll) aimed so the ground point ``look`` =
    (target X, distance, ...) lands at the image row fraction ``look[2]``."""
    (w, h), (x, height, yaw_j, roll), (target_x, dist, v_frac) = size, mount, look
    yaw = math.degrees(math.atan2(target_x - x, dist)) + yaw_j
    horiz = math.hypot(dist, target_x - x)
    pitch = math.degrees(math.atan(height / horiz) - math.atan((v_frac - 0.5) * h / f))
    return Camera(w, h, round(f, 1), round(x, 2), round(height, 2), round(pitch, 3), round(yaw, 3), round(roll, 3))


def near_y(cam: Camera) -> float:
    """The farthest of the ground points on the image's bottom row: nearer than this is out of view."""
    return max(cam.to_ground(u, cam.height - 1)[1] for u in (0.0, cam.width / 2, cam.width - 1.0))


def _camera(rng: np.random.Generator, wide: bool, widths: tuple[float, ...],
            short: bool = False) -> tuple[Camera, float]:
    """Wide views aim at the road's middle; enforcement views at two or three lanes of it.

    ``short`` (the CI scenes): an enforcement lens on a 1280x720 frame over lanes 1-3, so that
    every kind, odd-even included, fits in 20 seconds."""
    road_w = sum(widths)
    w, h = (1280, 720) if wide or short else (1920, 1080)
    target = road_w / 2
    if not wide and len(widths) > 3:
        k0 = 0 if short else int(rng.integers(0, len(widths) - 2))
        target = sum(widths[:k0]) + sum(widths[k0 : k0 + 3]) / 2
    f = w * float(rng.uniform(0.75, 1.05) if wide else rng.uniform(1.15, 1.45) * (1.4 if short else 1.0))
    where = int(rng.integers(3))
    x = [road_w * float(rng.uniform(0.3, 0.8)), road_w + float(rng.uniform(0.5, 3.0)),
         -float(rng.uniform(0.3, 1.0))][where]
    if not wide:
        x = target + float(rng.uniform(-3.0, 3.0))
    height = float(rng.uniform(5.0, 12.0) if wide else rng.uniform(5.0, 9.0))
    dist = _stop_distance(rng, w, f, x, road_w, wide)
    yaw_j, roll = float(rng.uniform(-2, 2)), float(rng.uniform(-1.5, 1.5))
    v_frac = float(rng.uniform(0.35, 0.55) if wide else rng.uniform(0.35, 0.5))
    return _aim((w, h), f, (x, height, yaw_j, roll), (target, dist, v_frac)), dist


def _ray_at(cam: Camera, u: float, v: float, y_plane: float) -> tuple[float, float, float] | None:
    """Where the ray through pixel (u, v) meets the plane Y = y_plane."""
    d = cam.rotation().T @ np.array([(u - cam.width / 2) / cam.focal_px, (v - cam.height / 2) / cam.focal_px, 1.0])
    if d[1] <= 1e-6:
        return None
    p = cam.centre + d * (y_plane / d[1])
    return float(p[0]), float(p[1]), float(p[2])


def _signal(rng: np.random.Generator, cam: Camera,
            lay: Layout) -> tuple[SignalMount, tuple[float, float], float, float]:
    """Mount, ground position, lamp radius and the head's top height; lamps at least ~9 px across."""
    road_w, stop_y = lay.road_w, lay.stop_y
    options: list[tuple[SignalMount, tuple[float, float], float]] = [
        ("right_pole", (road_w + 1.2, stop_y + 1.0), 4.6), ("left_pole", (-0.7, stop_y + 1.0), 4.6),
        ("gantry", (road_w / 2 + float(rng.uniform(-1, 1)), stop_y + 0.5), 5.4)]
    for k in rng.permutation(len(options)):
        mount, (x, y), top = options[int(k)]
        radius = max(0.15, 4.5 / cam.px_per_m(x, y, top))
        pts = cam.project([[x, y, top], [x, y, top - 7.8 * radius]])
        if all(cam.inside(float(u), float(v), 12) for u, v in pts):
            return mount, (x, y), radius, top
    # No usual spot is in view (a steep or long lens): a repeater head on a mast where the frame shows it.
    spots = [(y, u, v) for v in (0.08, 0.2, 0.35) for y in (stop_y + 1.0, lay.junction_y + 1.0, stop_y + 8.0,
                                                          stop_y + 15.0) for u in (0.93, 0.07)]
    for y_plane, uf, vf in spots:
        hit = _ray_at(cam, uf * cam.width, vf * cam.height, y_plane)
        if hit is not None and 1.5 <= hit[2] <= 12.0:
            radius = max(0.15, 4.5 / cam.px_per_m(hit[0], y_plane, hit[2]))
            pts = cam.project([[hit[0], y_plane, hit[2]], [hit[0], y_plane, hit[2] - 7.8 * radius]])
            if all(cam.inside(float(a), float(b), 8) for a, b in pts):
                return "gantry", (hit[0], y_plane), radius, hit[2]
    raise ValueError("no place for the signal head in view")


def _plate_px_near(cam: Camera, x: float, y_near: float) -> float:
    """Width of a car plate (0.5 m up) at its closest approach still in frame in a lane."""
    y = y_near
    while y > 1.0 and cam.inside(*cam.ground(x, y - 0.2)):
        y -= 0.2
    for y_try in np.arange(y, y_near + 20.0, 0.2):
        if cam.inside(*map(float, cam.project([[x, y_try, 0.5]])[0])):
            return PLATE_M["car"][0] * cam.px_per_m(x, float(y_try), 0.5)
    return 0.0


def _start_time(rng: np.random.Generator) -> str:
    day = date(2026, 3, 2) + timedelta(days=int(rng.integers(0, 200)))
    while day.weekday() >= 5:
        day += timedelta(days=1)
    minute = int(rng.integers(7 * 60, 9 * 60 + 30))
    return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00+07:00"


def _signals(rng: np.random.Generator, fps: float, frames: int, short: bool) -> SignalPlan:
    if short:  # CI: red at 4-10 s, then a long green for everything that must cross on green
        return SignalPlan.cycle(fps, frames, 8.0, 2.0, 6.0, 6.0)
    green, red = float(rng.uniform(8, 12)), float(rng.uniform(9, 12))
    return SignalPlan.cycle(fps, frames, green, 3.0, red, float(rng.uniform(0.2, 0.8)) * green)


def _lanes(rng: np.random.Generator, short: bool) -> tuple[tuple[float, ...], bool]:
    n = 4 if short else int(rng.integers(2, 6))
    busway = short or (n >= 3 and rng.random() < 0.55)
    widths = [round(float(rng.uniform(2.75, 3.75)), 2) for _ in range(n)]
    if busway:
        widths[0] = max(widths[0], round(float(rng.uniform(3.1, 3.75)), 2))
    return tuple(widths), busway


def _usable(cam: Camera, lay: Layout, y_near: float) -> tuple[int, ...]:
    out = []
    for k in range(lay.n_lanes):
        pts = [cam.ground(lay.centre(k), y) for y in (lay.junction_y, lay.stop_y, lay.stop_y + 8.0)]
        if all(cam.inside(u, v, 0.02 * cam.width) for u, v in pts):
            out.append(k)
    return tuple(out)


def _layout(rng: np.random.Generator, cam: Camera, widths: tuple[float, ...], busway: bool, stop_y: float,
            short: bool) -> Layout:
    n = len(widths)
    y_near = near_y(cam)
    gap = float(rng.uniform(4.0, min(8.0, stop_y - y_near - 3.5)))
    first_general = 1 if busway else 0
    solid_sep = int(rng.integers(first_general + 1, n)) if n - first_general >= 2 else max(1, first_general)
    zone_y = (max(y_near + 0.5, stop_y - gap - 8.0), stop_y - gap - 0.5)
    base = int(rng.choice([40, 50, 60]))
    limits = tuple(40 if busway and k == 0 else base for k in range(n))
    dwell = 3.0 if short else float(rng.choice([3.0, 4.0, 5.0]))
    draft = Layout(widths, busway, stop_y, gap, solid_sep, float(rng.uniform(15, 25)), (first_general, n - 1),
                   zone_y, dwell, limits, "right_pole", (0.0, 0.0), 0.15, 4.6)
    mount, xy, radius, top = _signal(rng, cam, draft)
    return Layout(widths, busway, stop_y, gap, solid_sep, draft.solid_len_m, draft.zone_lanes, zone_y,
                  draft.max_dwell_s, limits, mount, xy, round(radius, 3), round(top, 2))


def draw_setting(seed: int, split: str) -> Setting:
    """The camera, road, signals and rules of scene ``seed`` (its traffic is drawn in schedule.py)."""
    rng = np.random.default_rng([seed, 2026])
    short = split == "ci"
    wide = not short and bool(rng.random() < 0.5)
    # 1080p at high frame rates would cost more render and pipeline time than it adds
    rates = (([10.0, 12.5, 15.0, 20.0, 25.0], [0.3, 0.25, 0.25, 0.1, 0.1]) if wide
             else ([10.0, 12.5, 15.0], [0.4, 0.4, 0.2]))
    fps = 10.0 if short else float(rng.choice(rates[0], p=rates[1]))
    frames = round((20.0 if short else float(rng.uniform(36, 45))) * fps)
    widths, busway = _lanes(rng, short)
    for _ in range(100):
        cam, dist = _camera(rng, wide, widths, short)
        # the junction, its zebra and a yellow box must fit between the stop line and the frame's bottom
        if near_y(cam) > 1.0 and dist - near_y(cam) >= (9.0 if wide else 7.5):
            break
    else:
        raise ValueError(f"seed {seed}: no camera shows the junction")
    lay = _layout(rng, cam, widths, busway, round(dist, 2), short)
    signals = _signals(rng, fps, frames, short)
    usable = _usable(cam, lay, near_y(cam))
    general = [k for k in range(lay.n_lanes) if not (busway and k == 0)]
    seen = [k for k in general if k in usable] or general
    ban = seen[int(rng.integers(len(seen)))]
    idle = next((k for k in seen[::-1] if k != ban), ban)
    odd_even = () if wide else tuple(
        k for k in general if k in usable and _plate_px_near(cam, lay.centre(k), near_y(cam)) >= ODD_EVEN_MIN_PX)
    flow = tuple(round(float(rng.uniform(0.6, 0.85)), 3) for _ in range(lay.n_lanes))
    ctx = Ctx(lay, signals, fps, frames, usable, near_y(cam), ban, idle, odd_even, cam.x_m, flow)
    lighting = "day" if short else str(rng.choice(LIGHTING, p=[0.4, 0.2, 0.25, 0.15]))
    return Setting(seed, split, cam, lay, signals, fps, frames, _start_time(rng), lighting, ctx)
