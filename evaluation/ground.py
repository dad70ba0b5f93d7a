"""The static background of a scene: sky, buildings and the painted ground, drawn once.

The ground is evaluated per pixel in world metres through the exact camera (supersampled),
so every marking lies exactly where site.yaml says it does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from evaluation.camera import Camera
from evaluation.layout import DASH_M, GAP_M, LINE_HALF_M, STOP_HALF_M, Layout

Image = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
SS = 2  # supersampling, so far-away markings do not alias
MEDIAN_W = 1.2
OPPOSITE_W = 7.0


def _noise_texture(rng: np.random.Generator, size: int, blur: float) -> F32:
    raw = rng.standard_normal((size, size), dtype=np.float32)
    blurred = cv2.GaussianBlur(np.tile(raw, (3, 3)), (0, 0), blur)[size : 2 * size, size : 2 * size]
    tex = np.asarray(blurred, np.float32)
    return tex / np.float32(tex.std())


def _sample(tex: F32, xs: F32, ys: F32, px_per_m: float) -> F32:
    n = tex.shape[0]
    mx = np.mod(xs * px_per_m, n).astype(np.float32)
    my = np.mod(ys * px_per_m, n).astype(np.float32)
    return np.asarray(cv2.remap(tex, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP), np.float32)


def _paint_mask(xw: F32, yw: F32, lay: Layout) -> npt.NDArray[np.bool_]:
    """White paint: edge lines, separators (solid or dashed), stop line, zebra, arrows."""
    approach = yw > lay.stop_y + STOP_HALF_M
    paint = np.zeros(xw.shape, bool)
    for x0 in (0.0, lay.road_w):
        paint |= approach & (np.abs(xw - x0) <= LINE_HALF_M)
    dashes = np.mod(yw - lay.stop_y - 2.0, DASH_M + GAP_M) < DASH_M
    for k, x0 in enumerate(lay.edges[1:-1], start=1):
        on_line = approach & (np.abs(xw - x0) <= LINE_HALF_M) & (yw > lay.stop_y + 2.0)
        if k == lay.solid_sep:
            solid = (yw >= lay.solid_y[0]) & (yw <= lay.solid_y[1])
            paint |= on_line & (solid | ((yw > lay.solid_y[1] + 2.0) & dashes))
            paint |= approach & solid & (np.abs(xw - x0) <= LINE_HALF_M)
        elif k == 1 and lay.busway:
            paint |= approach & (np.abs(np.abs(xw - x0) - 0.15) <= LINE_HALF_M) & (yw > lay.stop_y + 2.0)
        else:
            paint |= on_line & dashes
    paint |= (np.abs(yw - lay.stop_y) <= STOP_HALF_M) & (xw >= 0) & (xw <= lay.road_w)
    z0, z1 = lay.zebra_y
    zebra = (yw >= z0 + 0.5) & (yw <= z1) & (xw >= -MEDIAN_W - OPPOSITE_W) & (xw <= lay.road_w)
    paint |= zebra & (np.mod(xw, 1.0) < 0.5)
    for k in range(lay.n_lanes):
        rel = np.abs(xw - lay.centre(k))
        shaft = (rel <= 0.1) & (yw >= lay.stop_y + 7.0) & (yw <= lay.stop_y + 11.0)
        head = (yw >= lay.stop_y + 5.0) & (yw < lay.stop_y + 7.0) & (rel <= 0.3 * (yw - lay.stop_y - 5.0))
        paint |= shaft | head
    return paint


def _ground(xw: F32, yw: F32, lay: Layout, rng: np.random.Generator) -> F32:
    """Colour (BGR, float) of the ground at world points: asphalt, kerbs, paint, yellow box."""
    grain = 5.0 * _sample(_noise_texture(rng, 256, 1.0), xw, yw, 40.0)
    blotch = 7.0 * _sample(_noise_texture(rng, 256, 4.0), xw, yw, 6.0)
    out = np.empty((*xw.shape, 3), np.float32)
    out[:] = (70, 112, 96)
    left_edge = -MEDIAN_W - OPPOSITE_W
    in_junction = yw < lay.junction_y
    sidewalk = ((xw > lay.road_w) & (xw < lay.road_w + 3.2)) | ((xw < left_edge) & (xw > left_edge - 3.2))
    tiles = (np.mod(xw, 0.5) < 0.03) | (np.mod(yw, 0.5) < 0.03)
    out[sidewalk] = (150, 158, 165)
    out[sidewalk & tiles] = (118, 124, 130)
    road = ((xw >= left_edge) & (xw <= lay.road_w)) | in_junction
    asphalt = 84.0 + grain + blotch
    for c, tint in enumerate((1.02, 1.0, 0.97)):
        out[..., c] = np.where(road, asphalt * tint, out[..., c])
    approach = (yw > lay.stop_y + STOP_HALF_M) & ~in_junction
    if lay.busway:  # TransJakarta lanes are often painted red
        bus = approach & (xw > 0.1) & (xw < lay.edges[1] - 0.3)
        for c, k in enumerate((0.75, 0.72, 1.35)):
            out[..., c] = np.where(bus, asphalt * k, out[..., c])
    median = approach & (xw > -MEDIAN_W) & (xw < -0.2) & (yw > lay.stop_y + 0.6)
    out[median] = (148, 152, 150)
    stripes = np.mod(yw, 2.0) < 1.0
    for edge in (-MEDIAN_W, -0.35, lay.road_w + 0.05):
        kerb = (xw > edge) & (xw < edge + 0.15) & (yw > lay.stop_y + 0.6) & ~in_junction
        out[kerb & stripes] = (215, 218, 220)
        out[kerb & ~stripes] = (40, 40, 42)
    paint = _paint_mask(xw, yw, lay)
    worn = 226.0 + 0.6 * grain
    for c in range(3):
        out[..., c] = np.where(paint, worn, out[..., c])
    (bx0, bx1), (by0, by1) = lay.zone_x, lay.zone_y
    inside = (xw >= bx0) & (xw <= bx1) & (yw >= by0) & (yw <= by1)
    border = inside & ((xw - bx0 < 0.15) | (bx1 - xw < 0.15) | (yw - by0 < 0.15) | (by1 - yw < 0.15))
    hatch = inside & ((np.mod(xw + yw, 2.5) < 0.12) | (np.mod(xw - yw, 2.5) < 0.12))
    for c, k in enumerate((40.0, 185.0, 225.0)):
        out[..., c] = np.where(border | hatch, k + 0.5 * grain, out[..., c])
    return out


def _fill(img: F32, cam: Camera, pts: Sequence[Sequence[float]], bgr: Sequence[float], ss: float) -> None:
    arr = np.asarray(pts, np.float64)
    if (cam.depth(arr) < 0.5).any():
        return
    uv = cam.project(arr) * ss
    if np.abs(uv).max() > 1e5:
        return
    cv2.fillConvexPoly(img, np.round(uv * 16).astype(np.int32), tuple(float(c) for c in bgr), cv2.LINE_AA, shift=4)


def _buildings(img: F32, cam: Camera, lay: Layout, rng: np.random.Generator, ss: float) -> None:
    faces = ((-MEDIAN_W - OPPOSITE_W - 5.5, -12.0), (lay.road_w + 5.0, 12.0))
    blocks: list[tuple[float, float, float, float, float, tuple[float, ...]]] = []
    for x_face, depth in faces:
        y = lay.stop_y + 4.0 + rng.uniform(0, 6)
        while y < 330:
            length = float(rng.uniform(9, 26))
            colour = tuple(float(c) for c in rng.uniform([150, 160, 165], [215, 215, 225]))
            blocks.append((x_face, depth, y, y + length, float(rng.uniform(7, 24)), colour))
            y += length + float(rng.uniform(0, 5))
    for x, depth, y0, y1, h, colour in sorted(blocks, key=lambda b: -b[2]):
        haze = 1.0 - math.exp(-y0 / 260.0)

        def shade(k: float, colour: tuple[float, ...] = colour, haze: float = haze) -> list[float]:
            return [(1 - haze) * k * c + haze * 215.0 for c in colour]

        _fill(img, cam, [[x, y0, 0], [x + depth, y0, 0], [x + depth, y0, h], [x, y0, h]], shade(0.78), ss)
        _fill(img, cam, [[x, y0, 0], [x, y1, 0], [x, y1, h], [x, y0, h]], shade(1.0), ss)
        _fill(img, cam, [[x, y0 + 0.5, 0], [x, y1 - 0.5, 0], [x, y1 - 0.5, 3.0], [x, y0 + 0.5, 3.0]], shade(0.45), ss)
        for z in np.arange(4.2, h - 1.5, 3.3):
            for yy in np.arange(y0 + 1.2, y1 - 2.0, 3.0):
                lit = 0.55 if rng.random() < 0.8 else 0.75
                window = [[x, yy, z], [x, yy + 1.7, z], [x, yy + 1.7, z + 1.5], [x, yy, z + 1.5]]
                _fill(img, cam, window, shade(lit), ss)


def render_background(cam: Camera, lay: Layout, rng: np.random.Generator) -> Image:
    """The static part of every frame: sky, buildings, ground with its markings."""
    w, h = cam.width, cam.height
    ss = SS if w <= 1280 else 1.5  # 1080p: fewer samples, still no aliasing worth the time
    us = (np.arange(round(w * ss), dtype=np.float64) + 0.5) / ss - 0.5
    vs = (np.arange(round(h * ss), dtype=np.float64) + 0.5) / ss - 0.5
    uu, vv = np.meshgrid(us, vs)
    inv = np.linalg.inv(cam.homography())
    hx, hy, hw = (inv[r, 0] * uu + inv[r, 1] * vv + inv[r, 2] for r in range(3))
    on_ground = hw > 1e-9  # above the horizon the ray never meets the ground
    safe = np.where(on_ground, hw, 1.0)
    xw = np.where(on_ground, hx / safe, 0.0).astype(np.float32)
    yw = np.where(on_ground, hy / safe, 1e4).astype(np.float32)
    del hx, hy, hw, safe
    sky_t = np.clip(vv / (h * 0.3), 0, 1)[..., None].astype(np.float32)
    img = (1 - sky_t) * np.array([222, 196, 160], np.float32) + sky_t * np.array([226, 222, 214], np.float32)
    ground = _ground(xw, yw, lay, rng)
    haze = (1.0 - np.exp(-np.clip(yw, 0, None) / 450.0))[..., None]
    ground = (1 - haze) * ground + haze * np.array([205, 205, 200], np.float32)
    img = np.where(on_ground[..., None], ground, img).astype(np.float32)
    _buildings(img, cam, lay, rng, ss)
    small = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    small *= (1.0 - 0.08 * r2)[..., None]
    return np.clip(small, 0, 255).astype(np.uint8)
