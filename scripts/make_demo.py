#!/usr/bin/env python3
"""Render the bundled demo scene: a signalised approach seen by an ETLE camera.

The camera stands past the stop line and looks at oncoming traffic. The ground is
drawn in world metres through an exact pinhole camera, so the homography written
to the site file is exact, and vehicles are real photographs pasted as billboards
whose bottom-centre sits on their world position. Everything random is seeded, so
the same command gives the same clip, site file and ground truth.

    python scripts/make_demo.py --assets <folder with the photos> --out calibration/demo

Without ``--assets`` the cut-out sprites already in ``<out>/sprites`` are used.

Every vehicle that shows its front or back carries an Indonesian plate (TNKB, rendered by
scripts/plate_synth.py). Plates are drawn DEMO_PLATE_SCALE times their real size: the clip is
only 1280x720 behind a 39 degree lens, where a real plate would be 35-50 px wide, and the
OCR needs about 100 px (MODELS.md §5); a real ETLE camera gets that from 4K and a longer lens.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from plate_synth import PLATE_SPOTS, PlateSpec, Pose, dress, render_plate

from edge.plates.indonesia import PlateText
from edge.tamper.reference import clip_still, save_reference

Image = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float32]

W, H = 1280, 720
FPS = 10
N_FRAMES = 300
START_TIME = "2026-01-15T07:30:00+07:00"
SS = 2  # supersampling of the static background, so far-away markings do not alias
# The still calibration version 1 was "drawn on", kept as its reference frame for the view watch
# (edge.tamper): the calibration page steps 2 s per refresh, and frame 220 is the emptiest of its stills.
REFERENCE_FRAME = 220

# World frame: X metres to the right (lane-1's left edge line is X=0), Y metres along
# the road away from the camera's foot, Z metres up. Traffic approaches with falling Y.
LANE_W = 3.5
LANES = ("lane-1", "lane-2", "lane-3")
ROAD_W = LANE_W * len(LANES)
STOP_Y = 23.0  # centre of the stop line
STOP_HALF = 0.2  # Indonesian stop lines are 0.3-0.6 m wide; 0.4 m here
ZEBRA_Y = (STOP_Y - 4.5, STOP_Y - 1.5)
MEDIAN_X = (-1.4, -0.25)
OPPOSITE_X = -8.4  # outer edge of the opposite carriageway (left-hand traffic)
KERB_X = 10.8  # right kerb; sidewalk beyond it
SIGNAL_XY = (12.6, STOP_Y + 0.8)  # signal pole on the right sidewalk at the stop line
# The lane-2/lane-3 separator is a solid line (marka utuh) over the last stretch before the
# stop line and dashed beyond it: changing lanes there is allowed, here it is not.
SOLID_X = 2 * LANE_W
SOLID_Y = (STOP_Y + 2.0, STOP_Y + 20.0)
# lane-1, along the median, is a busway (as in Jakarta) in the morning rush hour.
BUSWAY_LANE = 0
BUSWAY_WINDOW = "Mon-Fri 06:00-10:00"
# The other two lanes are under ganjil-genap in the rush hours (Jakarta's windows): the clip is
# on the 15th, an odd date, so cars whose plate number ends in an even digit may not be there.
ODD_EVEN_LANES = (1, 2)
ODD_EVEN_WINDOWS = ("Mon-Fri 06:00-10:00", "Mon-Fri 16:00-21:00")
ODD_EVEN_EXEMPT = ("motorcycle", "bus")
ODD_EVEN_MIN_WIDTH_PX = 160  # the rule's default: vehicles are checked from this box width on
# A no-stopping box in the junction past the zebra, over lane-2 and lane-3, marked yellow
# (a yellow box junction); it reaches down below the frame's bottom edge (Y = 15.2 m).
NO_STOP_X = (LANE_W, KERB_X)
NO_STOP_Y = (13.0, ZEBRA_Y[0] - 0.3)
MAX_DWELL_S = 3.0
SPEED_LIMIT_KMH = 50

# Signal plan in frames (inclusive); red lasts 8 s.
PHASES: tuple[tuple[str, int, int], ...] = (
    ("green", 0, 59),
    ("amber", 60, 79),
    ("red", 80, 159),
    ("green", 160, 299),
)
# Single frames where the lit red LED dims (PWM beating with the rolling shutter):
# a debounced signal reader has to ignore them.
DIM_FRAMES = (104, 131)
DEMO_PLATE_SCALE = 1.6  # see the module docstring
# Below this vehicle width a plate (< 40 px) is too small for any reader and is not drawn:
# distant traffic then stays pixel for pixel as it was measured in PROVENANCE.md. Drawn
# there, the plates tipped two marginal detection checks (see PROVENANCE.md, "Plates").
MIN_PLATE_VEHICLE_PX = 100


# --------------------------------------------------------------------------- camera


@dataclass(frozen=True)
class Camera:
    """Pinhole camera without lens distortion; ``homography()`` maps ground (X, Y) to pixels."""

    focal_px: float = 1800.0  # a 39 degree field of view
    x_m: float = 6.8  # on a gantry arm over lane-2/lane-3
    height_m: float = 5.5  # above the tallest bus, as ETLE gantries are
    pitch_deg: float = 8.6
    yaw_deg: float = -1.2
    roll_deg: float = 0.6  # real poles are never quite level

    def extrinsics(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        yaw, pitch, roll = (math.radians(a) for a in (self.yaw_deg, self.pitch_deg, self.roll_deg))
        fwd = np.array([math.sin(yaw), math.cos(yaw), 0.0])
        right = np.array([math.cos(yaw), -math.sin(yaw), 0.0])
        fwd = math.cos(pitch) * fwd + math.sin(pitch) * np.array([0.0, 0.0, -1.0])
        down = np.cross(fwd, right)
        right, down = (
            math.cos(roll) * right + math.sin(roll) * down,
            -math.sin(roll) * right + math.cos(roll) * down,
        )
        rot = np.stack([right, down, fwd])
        centre = np.array([self.x_m, 0.0, self.height_m])
        return rot, -rot @ centre

    def matrix(self) -> npt.NDArray[np.float64]:
        k = np.array([[self.focal_px, 0, W / 2], [0, self.focal_px, H / 2], [0, 0, 1]])
        rot, t = self.extrinsics()
        return k @ np.column_stack([rot, t])

    def homography(self) -> npt.NDArray[np.float64]:
        p = self.matrix()
        return p[:, [0, 1, 3]]

    def project(self, xyz: npt.ArrayLike) -> npt.NDArray[np.float64]:
        pts = np.atleast_2d(np.asarray(xyz, np.float64))
        hom = np.column_stack([pts, np.ones(len(pts))]) @ self.matrix().T
        return hom[:, :2] / hom[:, 2:3]

    def ground(self, x: float, y: float) -> tuple[float, float]:
        u, v = self.project([x, y, 0.0])[0]
        return float(u), float(v)

    def px_per_m(self, x: float, y: float) -> float:
        """Horizontal image scale at a ground point: how big a 1 m wide object looks."""
        a, b = self.project([[x - 0.5, y, 0.0], [x + 0.5, y, 0.0]])
        return float(np.hypot(*(b - a)))


# -------------------------------------------------------------------------- signals


def phase_at(frame: int) -> str:
    for state, first, last in PHASES:
        if first <= frame <= last:
            return state
    raise ValueError(f"frame {frame} outside the signal plan")


@dataclass(frozen=True)
class SignalHead:
    """Lamp centres and radius in pixels, from the head's world position."""

    housing: npt.NDArray[np.int32]
    lamps: dict[str, tuple[float, float]]
    radius: float
    pole: tuple[tuple[int, int], tuple[int, int]]

    @classmethod
    def build(cls, cam: Camera) -> SignalHead:
        x, y = SIGNAL_XY
        quad = cam.project([[x - 0.24, y, 4.85], [x + 0.24, y, 4.85], [x + 0.24, y, 3.55], [x - 0.24, y, 3.55]])
        centres = cam.project([[x, y, z] for z in (4.58, 4.20, 3.82)])
        lamps = {c: (float(u), float(v)) for c, (u, v) in zip(("red", "amber", "green"), centres, strict=True)}
        base, top = cam.project([[x, y, 0.0], [x, y, 4.0]])
        return cls(
            np.round(quad).astype(np.int32),
            lamps,
            0.15 * cam.px_per_m(x, y),
            ((round(base[0]), round(base[1])), (round(top[0]), round(top[1]))),
        )

    def rois(self) -> dict[str, list[int]]:
        r = self.radius
        return {
            c: [math.floor(u - r), math.floor(v - r), math.ceil(u + r), math.ceil(v + r)]
            for c, (u, v) in self.lamps.items()
        }


def blend(img: Image, patch: FloatArray, alpha: FloatArray, x0: int, y0: int, additive: bool = False) -> None:
    """Composite ``patch`` (float BGR) at (x0, y0) with per-pixel alpha, clipped to ``img``."""
    ph, pw = alpha.shape
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + pw, img.shape[1]), min(y0 + ph, img.shape[0])
    if xa >= xb or ya >= yb:
        return
    src = patch[ya - y0 : yb - y0, xa - x0 : xb - x0]
    a = alpha[ya - y0 : yb - y0, xa - x0 : xb - x0, None]
    dst = img[ya:yb, xa:xb].astype(np.float32)
    out = dst + a * src if additive else dst + a * (src - dst)
    img[ya:yb, xa:xb] = np.clip(out, 0, 255).astype(np.uint8)


LAMP_BGR = {"red": (40, 40, 255), "amber": (20, 170, 255), "green": (150, 255, 60)}
LAMP_OFF_BGR = {"red": (38, 36, 58), "amber": (34, 46, 58), "green": (44, 54, 40)}


def draw_signal(img: Image, head: SignalHead, frame: int) -> None:
    (bx, by), (tx, ty) = head.pole
    cv2.line(img, (bx, by), (tx, ty), (70, 72, 74), max(2, round(head.radius * 0.5)), cv2.LINE_AA)
    cv2.fillConvexPoly(img, head.housing, (28, 28, 30), cv2.LINE_AA)
    lit = phase_at(frame)
    r = head.radius
    for colour, (u, v) in head.lamps.items():
        centre = (round(u), round(v))
        if colour != lit:
            cv2.circle(img, centre, round(r), LAMP_OFF_BGR[colour], -1, cv2.LINE_AA)
            continue
        gain = 0.3 if frame in DIM_FRAMES else 1.0
        bgr = np.array(LAMP_BGR[colour], np.float32) * gain
        # Glow: an additive blurred disc around the lamp, as a bright LED blooms.
        pad = round(r * 3)
        glow = np.zeros((2 * pad + 1, 2 * pad + 1, 3), np.float32)
        cv2.circle(glow, (pad, pad), round(r * 1.3), tuple(float(c) for c in bgr), -1)
        glow = cv2.GaussianBlur(glow, (0, 0), r * 0.8) * 0.8
        alpha = np.ones(glow.shape[:2], np.float32)
        blend(img, glow, alpha, centre[0] - pad, centre[1] - pad, additive=True)
        core = tuple(float(min(255.0, c + 150 * gain)) for c in bgr)
        cv2.circle(img, centre, round(r), tuple(float(c) for c in bgr), -1, cv2.LINE_AA)
        cv2.circle(img, centre, round(r * 0.55), core, -1, cv2.LINE_AA)


# ----------------------------------------------------------------------- background


def _noise_texture(rng: np.random.Generator, size: int, blur: float) -> FloatArray:
    raw = rng.standard_normal((size, size), dtype=np.float32)
    # Blur a 3x3 tiling and keep the centre, so the texture tiles without seams.
    blurred = cv2.GaussianBlur(np.tile(raw, (3, 3)), (0, 0), blur)[size : 2 * size, size : 2 * size]
    tex = np.asarray(blurred, np.float32)
    return tex / np.float32(tex.std())


def _sample(tex: FloatArray, xs: FloatArray, ys: FloatArray, px_per_m: float) -> FloatArray:
    """Look a tiling texture up at world coordinates (remap wants float32 maps)."""
    n = tex.shape[0]
    mx = np.mod(xs * px_per_m, n).astype(np.float32)
    my = np.mod(ys * px_per_m, n).astype(np.float32)
    return np.asarray(cv2.remap(tex, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP), np.float32)


def _ground(xw: FloatArray, yw: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Colour (BGR, float) of the ground at world points: asphalt, kerbs, paint."""
    shape = xw.shape
    grain = 5.0 * _sample(_noise_texture(rng, 256, 1.0), xw, yw, 40.0)
    blotch = 7.0 * _sample(_noise_texture(rng, 256, 4.0), xw, yw, 6.0)
    out = np.empty((*shape, 3), np.float32)
    out[:] = (70, 112, 96)  # verge: dry grass and dirt

    in_junction = yw < ZEBRA_Y[0] - 0.6  # the cross street, below the zebra
    sidewalk = ((xw > KERB_X) & (xw < KERB_X + 3.2)) | ((xw < OPPOSITE_X) & (xw > OPPOSITE_X - 3.2))
    tiles = (np.mod(xw, 0.5) < 0.03) | (np.mod(yw, 0.5) < 0.03)
    out[sidewalk] = (150, 158, 165)
    out[sidewalk & tiles] = (118, 124, 130)

    road = ((xw >= OPPOSITE_X) & (xw <= KERB_X)) | in_junction
    asphalt = 84.0 + grain + blotch
    # Tyres polish two darker bands per lane.
    lane_pos = np.mod(xw, LANE_W)
    tyres = (np.abs(lane_pos - 0.85) < 0.35) | (np.abs(lane_pos - 2.65) < 0.35)
    asphalt = asphalt - 5.0 * (tyres & (xw > 0) & (xw < ROAD_W))
    for c, tint in enumerate((1.02, 1.0, 0.97)):
        out[..., c] = np.where(road, asphalt * tint, out[..., c])

    approach = (yw > STOP_Y + STOP_HALF) & ~in_junction
    median = approach & (xw > MEDIAN_X[0]) & (xw < MEDIAN_X[1]) & (yw > STOP_Y + 0.6)
    out[median] = (148, 152, 150)
    stripes = np.mod(yw, 2.0) < 1.0  # kerbs painted black and white, as is usual in Indonesia
    for edge in (MEDIAN_X[0], MEDIAN_X[1] - 0.15, KERB_X - 0.15):
        kerb = (xw > edge) & (xw < edge + 0.15) & (yw > STOP_Y + 0.6) & ~in_junction
        out[kerb & stripes] = (215, 218, 220)
        out[kerb & ~stripes] = (40, 40, 42)

    paint = np.zeros(shape, bool)
    for x0 in (0.0, ROAD_W - 0.15, MEDIAN_X[0] - 0.3, OPPOSITE_X + 0.15):
        paint |= approach & (xw >= x0) & (xw <= x0 + 0.15)
    dashes = np.mod(yw - STOP_Y - 2.0, 8.0) < 3.0  # 3 m dash, 5 m gap
    for x0 in (LANE_W, 2 * LANE_W, (MEDIAN_X[0] + OPPOSITE_X) / 2):
        paint |= approach & dashes & (np.abs(xw - x0) <= 0.075) & (yw > STOP_Y + 2.0)
    paint |= (np.abs(xw - SOLID_X) <= 0.075) & (yw >= SOLID_Y[0]) & (yw <= SOLID_Y[1])
    paint |= (np.abs(yw - STOP_Y) <= STOP_HALF) & (xw >= 0) & (xw <= ROAD_W)
    zebra = (yw >= ZEBRA_Y[0]) & (yw <= ZEBRA_Y[1]) & (xw >= OPPOSITE_X) & (xw <= KERB_X)
    paint |= zebra & (np.mod(xw - OPPOSITE_X, 1.0) < 0.5)
    for k in range(len(LANES)):  # straight-ahead arrows pointing at the junction
        rel = np.abs(xw - (k + 0.5) * LANE_W)
        shaft = (rel <= 0.1) & (yw >= STOP_Y + 7.0) & (yw <= STOP_Y + 11.0)
        head = (yw >= STOP_Y + 5.0) & (yw < STOP_Y + 7.0) & (rel <= 0.3 * (yw - STOP_Y - 5.0))
        paint |= shaft | head
    worn = 226.0 + 0.6 * grain
    for c in range(3):
        out[..., c] = np.where(paint, worn, out[..., c])
    # The no-stopping box: a yellow border and diagonal hatching.
    (bx0, bx1), (by0, by1) = NO_STOP_X, NO_STOP_Y
    inside = (xw >= bx0) & (xw <= bx1) & (yw >= by0) & (yw <= by1)
    border = inside & ((xw - bx0 < 0.15) | (bx1 - xw < 0.15) | (yw - by0 < 0.15) | (by1 - yw < 0.15))
    hatch = inside & ((np.mod(xw + yw, 2.5) < 0.12) | (np.mod(xw - yw, 2.5) < 0.12))
    yellow = border | hatch
    for c, k in enumerate((40.0, 185.0, 225.0)):
        out[..., c] = np.where(yellow, k + 0.5 * grain, out[..., c])
    return out


@dataclass(frozen=True)
class Building:
    x_face: float  # the facade that faces the road
    y0: float
    y1: float
    height: float
    depth: float  # signed: away from the road
    colour: tuple[float, float, float]


def _buildings(rng: np.random.Generator) -> list[Building]:
    out: list[Building] = []
    for x_face, depth in ((OPPOSITE_X - 5.5, -12.0), (KERB_X + 5.0, 12.0)):
        y = 27.0 + rng.uniform(0, 6)
        while y < 330:
            length = rng.uniform(9, 26)
            base = np.array([rng.uniform(150, 215), rng.uniform(160, 215), rng.uniform(165, 225)])
            out.append(
                Building(
                    x_face, y, y + length, rng.uniform(7, 24), depth, (float(base[0]), float(base[1]), float(base[2]))
                )
            )
            y += length + rng.uniform(0, 5)
    # A hazy row closing the view where the road bends away.
    for x0 in np.arange(-70, 80, 14.0):
        out.append(Building(float(x0), 420.0, 432.0, float(rng.uniform(12, 40)), 14.0, (190.0, 190.0, 185.0)))
    return out


def _fill(img: FloatArray, cam: Camera, pts: Sequence[Sequence[float]], bgr: Sequence[float]) -> None:
    uv = cam.project(pts) * SS
    cv2.fillConvexPoly(img, np.round(uv * 16).astype(np.int32), tuple(float(c) for c in bgr), cv2.LINE_AA, shift=4)


def _draw_buildings(img: FloatArray, cam: Camera, rng: np.random.Generator) -> None:
    for b in sorted(_buildings(rng), key=lambda b: -b.y0):
        haze = 1.0 - math.exp(-b.y0 / 260.0)

        def shade(k: float, b: Building = b, haze: float = haze) -> list[float]:
            return [(1 - haze) * k * c + haze * 215.0 for c in b.colour]

        x, y0, y1, h = b.x_face, b.y0, b.y1, b.height
        _fill(img, cam, [[x, y0, 0], [x + b.depth, y0, 0], [x + b.depth, y0, h], [x, y0, h]], shade(0.78))
        _fill(img, cam, [[x, y0, 0], [x, y1, 0], [x, y1, h], [x, y0, h]], shade(1.0))
        if b.y0 > 300:
            continue
        # Shop-houses: a dark ground floor, then rows of windows.
        _fill(img, cam, [[x, y0 + 0.5, 0], [x, y1 - 0.5, 0], [x, y1 - 0.5, 3.0], [x, y0 + 0.5, 3.0]], shade(0.45))
        for z in np.arange(4.2, h - 1.5, 3.3):
            for yy in np.arange(y0 + 1.2, y1 - 2.0, 3.0):
                lit = 0.55 if rng.random() < 0.8 else 0.75
                _fill(img, cam, [[x, yy, z], [x, yy + 1.7, z], [x, yy + 1.7, z + 1.5], [x, yy, z + 1.5]], shade(lit))


def _draw_poles(img: FloatArray, cam: Camera) -> None:
    """Street lights in the median and trees on the right verge."""
    for y in np.arange(260.0, STOP_Y + 8, -32.0):
        xm = sum(MEDIAN_X) / 2
        base, top, arm = cam.project([[xm, y, 0], [xm, y, 9.0], [xm + 1.6, y, 9.3]]) * SS
        width = max(1, round(0.18 * cam.px_per_m(xm, y) * SS))
        for a, b in ((base, top), (top, arm)):
            cv2.line(
                img, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), (95, 98, 100), width, cv2.LINE_AA
            )
    for y in np.arange(230.0, 55.0, -17.0):
        xt = KERB_X + 2.6
        base, top = cam.project([[xt, y, 0], [xt, y, 4.5]]) * SS
        scale = cam.px_per_m(xt, y) * SS
        cv2.line(
            img,
            tuple(np.round(base).astype(int)),
            tuple(np.round(top).astype(int)),
            (40, 55, 70),
            max(1, round(0.3 * scale)),
            cv2.LINE_AA,
        )
        shade = 1.0 - math.exp(-y / 260.0)
        green = tuple((1 - shade) * c + shade * 200 for c in (48, 105, 62))
        cv2.ellipse(
            img,
            tuple(np.round(top).astype(int)),
            (round(2.2 * scale), round(1.8 * scale)),
            0,
            0,
            360,
            green,
            -1,
            cv2.LINE_AA,
        )


def render_background(cam: Camera, rng: np.random.Generator) -> Image:
    """The static part of every frame: sky, buildings, ground with its markings."""
    us = (np.arange(W * SS, dtype=np.float64) + 0.5) / SS - 0.5
    vs = (np.arange(H * SS, dtype=np.float64) + 0.5) / SS - 0.5
    uu, vv = np.meshgrid(us, vs)
    inv = np.linalg.inv(cam.homography())
    hx, hy, hw = (inv[r, 0] * uu + inv[r, 1] * vv + inv[r, 2] for r in range(3))
    on_ground = hw > 1e-9  # above the horizon the ray never meets the ground
    safe = np.where(on_ground, hw, 1.0)
    xw = np.where(on_ground, hx / safe, 0.0).astype(np.float32)
    yw = np.where(on_ground, hy / safe, 1e4).astype(np.float32)

    sky_t = np.clip(vv / (H * 0.3), 0, 1)[..., None].astype(np.float32)
    img = (1 - sky_t) * np.array([222, 196, 160], np.float32) + sky_t * np.array([226, 222, 214], np.float32)
    ground = _ground(xw, yw, rng)
    haze = (1.0 - np.exp(-np.clip(yw, 0, None) / 450.0))[..., None]
    ground = (1 - haze) * ground + haze * np.array([205, 205, 200], np.float32)
    img = np.where(on_ground[..., None], ground, img).astype(np.float32)
    _draw_buildings(img, cam, rng)
    _draw_poles(img, cam)

    small = cv2.resize(img, (W, H), interpolation=cv2.INTER_AREA)
    # Lens vignetting, mild.
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    r2 = ((xx - W / 2) / (W / 2)) ** 2 + ((yy - H / 2) / (H / 2)) ** 2
    small *= (1.0 - 0.08 * r2)[..., None]
    return np.clip(small, 0, 255).astype(np.uint8)


# -------------------------------------------------------------------------- sprites


def _motorcycle_hints(mask: Image) -> None:
    """Strokes for motorcycle_left.png (741x500): GrabCut alone keeps shelves and floor."""
    bgd, fgd = cv2.GC_BGD, cv2.GC_FGD
    rows = np.arange(mask.shape[0])[:, None]
    wheels = np.zeros(mask.shape, np.uint8)
    cv2.circle(wheels, (200, 317), 84, 1, -1)
    cv2.ellipse(wheels, (599, 374), (72, 92), 117, 0, 360, 1, -1)  # the steered front wheel
    mask[(rows > 380) & (wheels == 0)] = bgd  # floor and shadow, which would lower the bottom edge
    for x0, y0, x1, y1 in (
        (565, 185, 625, 256),
        (612, 165, 700, 290),
        (585, 138, 700, 172),
        (540, 0, 741, 105),
        (340, 40, 480, 104),
        (385, 100, 470, 124),
        (175, 30, 300, 140),
    ):
        mask[y0:y1, x0:x1] = bgd  # red bin, boxes, shelf, white wall
    cv2.circle(mask, (200, 317), 72, fgd, 8)
    cv2.ellipse(mask, (599, 374), (62, 81), 117, 0, 360, fgd, 6)
    cv2.circle(mask, (534, 152), 18, fgd, -1)  # headlight
    for x0, y0, x1, y1 in ((500, 185, 560, 370), (180, 215, 450, 205), (330, 330, 450, 320)):
        cv2.line(mask, (x0, y0), (x1, y1), fgd, 8)  # fork, seat to tank, engine
    for centre in ((474, 184), (572, 130)):
        cv2.circle(mask, centre, 6, fgd, -1)  # turn signals


@dataclass(frozen=True)
class SpriteSpec:
    """How one vehicle is cut out of a source photo."""

    name: str
    photo: str  # file name, looked up under --assets
    rect: tuple[int, int, int, int]  # x0, y0, x1, y1: GrabCut's box; outside is background
    keep_x: tuple[int, int] | None  # photo columns to keep (the front face of the bus)
    convex: bool  # car and bus bodies are convex; filling the hull closes GrabCut's holes
    real_width_m: float  # what the sprite's width measures in the world
    cls: str
    hints: Callable[[Image], None] | None = None


SPRITES = (
    SpriteSpec("car_silver", "licenseplate_motion.jpg", (2, 20, 598, 460), None, True, 1.8, "car"),
    # Only the front face of the double-decker, so that it fits one lane as it approaches.
    SpriteSpec("bus_red", "pexels_double_decker_bus.jpg", (60, 108, 485, 398), (334, 480), True, 2.5, "bus"),
    SpriteSpec("car_white", "pexels_double_decker_bus.jpg", (1, 279, 73, 335), None, True, 1.8, "car"),
    # A side view: its width is the motorcycle's length, 2.2 m, and its height then a real 1.2 m.
    SpriteSpec(
        "motorcycle_red", "motorcycle_left.png", (108, 30, 696, 462), None, False, 2.2, "motorcycle", _motorcycle_hints
    ),
)
MAX_SPRITE_W = 400  # enough for the nearest rendering; keeps the committed PNGs small


def _find_photo(assets: Path, name: str) -> Path:
    hits = sorted(assets.rglob(name))
    if not hits:
        raise FileNotFoundError(f"{name} not found under {assets}; see PROVENANCE.md for its source")
    return hits[0]


def cut_sprite(photo: Image, spec: SpriteSpec) -> Image:
    """Segment the vehicle with GrabCut and return a tight BGRA crop."""
    mask = np.full(photo.shape[:2], cv2.GC_BGD, np.uint8)
    x0, y0, x1, y1 = spec.rect
    mask[y0:y1, x0:x1] = cv2.GC_PR_FGD
    if spec.hints is not None:
        spec.hints(mask)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    # GrabCut's k-means start draws from OpenCV's global RNG; a fixed seed keeps the
    # cut-outs stable whatever --seed the scene uses.
    cv2.setRNGSeed(0)
    cv2.grabCut(photo, mask, (0, 0, 0, 0), bgd, fgd, 6, cv2.GC_INIT_WITH_MASK)  # rect unused
    fg = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    if spec.keep_x is not None:
        fg[:, : spec.keep_x[0]] = 0
        fg[:, spec.keep_x[1] :] = 0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(fg)
    if count < 2:
        raise ValueError(f"GrabCut found nothing for {spec.name}")
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    contours, _ = cv2.findContours((labels == biggest).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = max(contours, key=cv2.contourArea)
    solid = np.zeros_like(fg)
    cv2.drawContours(solid, [cv2.convexHull(outline) if spec.convex else outline], -1, 1, -1)
    x, y, w, h = cv2.boundingRect(solid)
    # A one-pixel feather hides the cut without widening the sprite.
    alpha = cv2.GaussianBlur(solid.astype(np.float32), (3, 3), 0) * solid
    bgra = np.dstack([photo, np.round(alpha * 255).astype(np.uint8)])[y : y + h, x : x + w]
    if w > MAX_SPRITE_W:
        bgra = cv2.resize(bgra, (MAX_SPRITE_W, round(h * MAX_SPRITE_W / w)), interpolation=cv2.INTER_AREA)
    return bgra


def build_sprites(assets: Path, out: Path) -> dict[str, Image]:
    out.mkdir(parents=True, exist_ok=True)
    sprites: dict[str, Image] = {}
    for spec in SPRITES:
        path = _find_photo(assets, spec.photo)
        photo = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if photo is None:
            raise ValueError(f"cannot decode {path}")
        sprites[spec.name] = cut_sprite(np.asarray(photo, np.uint8), spec)
        cv2.imwrite(str(out / f"{spec.name}.png"), sprites[spec.name])
    return sprites


def load_sprites(folder: Path) -> dict[str, Image]:
    sprites: dict[str, Image] = {}
    for spec in SPRITES:
        img = cv2.imread(str(folder / f"{spec.name}.png"), cv2.IMREAD_UNCHANGED)
        if img is None or img.shape[2] != 4:
            raise FileNotFoundError(f"sprite {spec.name}.png missing in {folder}; run with --assets")
        sprites[spec.name] = np.asarray(img, np.uint8)
    return sprites


# ------------------------------------------------------------------------- vehicles


@dataclass(frozen=True)
class FreeFlow:
    """Constant speed; the bottom-centre first passes the stop line on ``cross_frame``."""

    speed_ms: float
    cross_frame: int

    def y_at(self, t: float) -> float:
        # Half a frame before the crossing frame, so that frame is the first one past the line.
        t_cross = (self.cross_frame - 0.5) / FPS
        return STOP_Y - self.speed_ms * (t - t_cross)


@dataclass(frozen=True)
class StopAndGo:
    """Approach, brake evenly to rest ``gap_m`` before the line, wait, pull away."""

    speed_ms: float
    gap_m: float
    decel: float
    stop_frame: int  # first frame at rest
    go_frame: int  # last frame at rest
    accel: float
    top_speed_ms: float

    def y_at(self, t: float) -> float:
        y_stop = STOP_Y + self.gap_m
        t_stop, t_go = self.stop_frame / FPS, self.go_frame / FPS
        t_brake = t_stop - self.speed_ms / self.decel
        if t < t_brake:
            return y_stop + self.speed_ms**2 / (2 * self.decel) + self.speed_ms * (t_brake - t)
        if t < t_stop:
            return y_stop + 0.5 * self.decel * (t_stop - t) ** 2
        if t <= t_go:
            return y_stop
        tau, t_top = t - t_go, self.top_speed_ms / self.accel
        if tau < t_top:
            return y_stop - 0.5 * self.accel * tau**2
        return y_stop - 0.5 * self.accel * t_top**2 - self.top_speed_ms * (tau - t_top)


@dataclass(frozen=True)
class LaneChange:
    """Move to lane ``to_lane`` while the ground point travels from Y = ``y_from`` to ``y_to``."""

    to_lane: int
    y_from: float
    y_to: float

    def progress(self, y: float) -> float:
        """0 before the change, 1 after it, a smooth S in between."""
        k = min(1.0, max(0.0, (self.y_from - y) / (self.y_from - self.y_to)))
        return k * k * (3 - 2 * k)


@dataclass(frozen=True)
class Vehicle:
    id: str
    sprite: str
    lane: int  # index into LANES (the lane it starts in)
    flip: bool
    behaviour: str  # what the script intends; checked against the rendered motion
    motion: FreeFlow | StopAndGo
    offset_m: float = 0.0  # lateral offset from the lane centre
    plate: PlateSpec | None = None  # None: the sprite shows no plate (the motorcycle's side view)
    change: LaneChange | None = None

    def x_at(self, y: float) -> float:
        x = (self.lane + 0.5) * LANE_W + self.offset_m
        if self.change is None:
            return x
        return x + (self.change.to_lane - self.lane) * LANE_W * self.change.progress(y)

    def lane_at(self, y: float) -> int:
        return min(len(LANES) - 1, max(0, int(self.x_at(y) // LANE_W)))


# Red runs from frame 80 to 159. Vehicles in one lane never overtake each other and keep
# well apart while both are big enough to detect, so their sprites do not pile up.
def _plate(code: str, number: str, suffix: str, colour: str, expiry: str) -> PlateSpec:
    return PlateSpec(PlateText(code, number, suffix), colour, expiry)  # type: ignore[arg-type]


SCENE = (
    Vehicle("v1", "car_silver", 2, False, "pass_green", FreeFlow(12.0, 22),
            plate=_plate("B", "2706", "TKR", "white", "03.29")),
    # A TransJakarta-style bus in the busway: allowed there.
    Vehicle("v2", "bus_red", 0, False, "pass_green", FreeFlow(10.0, 46),
            plate=_plate("B", "7512", "TGA", "yellow", "11.27")),  # a public bus: yellow
    # A car in the busway that brakes too late: it crosses the stop line 0.6 s into red and
    # stands on the zebra, 2.5 m past the line and short of the junction, to the end of red.
    Vehicle("v3", "car_white", 0, True, "stop_past_line", StopAndGo(11.0, -2.5, 4.0, 97, 165, 2.5, 11.0),
            plate=_plate("D", "1847", "AQ", "black", "06.26")),
    Vehicle("v4", "car_silver", 2, True, "run_red", FreeFlow(13.0, 95),  # 1.5 s into red
            plate=_plate("B", "2817", "PKW", "black", "08.27")),  # the style before 2022
    # Queued behind v8: v8's 4.5 m long body, then 2 m to its bumper.
    Vehicle("v5", "car_white", 2, False, "stop_on_red", StopAndGo(11.0, 8.5, 2.5, 155, 167, 2.5, 11.0),
            plate=_plate("AB", "1043", "KL", "white", "01.28")),
    Vehicle("v6", "bus_red", 1, False, "run_red", FreeFlow(10.0, 120),  # 4.0 s into red
            plate=_plate("B", "7051", "TGB", "yellow", "04.28")),
    # Another car in the busway, queued behind v3's 4.5 m body (it stops clear of the line).
    Vehicle("v7", "car_silver", 0, False, "stop_on_red", StopAndGo(10.0, 4.5, 2.5, 105, 170, 2.5, 10.0),
            plate=_plate("B", "1453", "WAN", "white", "02.29")),
    Vehicle("v8", "car_silver", 2, False, "stop_on_red", StopAndGo(11.0, 2.0, 3.0, 140, 164, 2.5, 11.0),
            plate=_plate("L", "1395", "ND", "white", "09.26")),
    # 20 m/s = 72 km/h where 50 is the limit, on green.
    Vehicle("v9", "car_white", 1, False, "speeding", FreeFlow(20.0, 30),
            plate=_plate("B", "1962", "KZY", "white", "05.28")),
    # lane-3 to lane-2 across the solid line, 5-15 m before the stop line.
    Vehicle("v11", "car_silver", 2, False, "lane_change_solid", FreeFlow(11.0, 55),
            plate=_plate("B", "2538", "FJR", "black", "02.27"), change=LaneChange(1, 40.0, 30.0)),
    # Stops in the yellow box for 1.2 s (lets a pedestrian pass), then goes on: allowed.
    Vehicle("v14", "car_silver", 1, False, "stop_in_box_briefly", StopAndGo(10.0, -6.2, 3.0, 190, 202, 2.5, 10.0),
            plate=_plate("F", "1777", "QW", "white", "07.27")),
    # lane-3 to lane-2 where the separator is dashed, 25-37 m before the stop line: allowed.
    Vehicle("v10", "car_white", 2, False, "lane_change_dashed", FreeFlow(11.0, 222),
            plate=_plate("D", "2214", "UB", "white", "12.28"), change=LaneChange(1, 60.0, 48.0)),
    # Comes out of the junction up lane-2 against the traffic, 5 m/s.
    Vehicle("v12", "car_silver", 1, False, "wrong_way", FreeFlow(-5.0, 254),
            plate=_plate("B", "1098", "NA", "white", "10.26")),
    # Stops in the yellow box and stays (to the end of the clip, 4.5 s): a violation.
    Vehicle("v13", "car_white", 2, False, "stop_in_box", StopAndGo(10.0, -6.2, 3.0, 255, 10_000, 2.5, 10.0),
            plate=_plate("B", "2241", "SIP", "white", "03.28")),
)


@dataclass(frozen=True)
class Placement:
    """Where a vehicle's sprite lands in one frame (unclipped pixel box)."""

    x0: int
    y0: int
    w: int
    h: int
    world: tuple[float, float]


def place(cam: Camera, v: Vehicle, sprite: Image, t: float) -> Placement | None:
    spec = next(s for s in SPRITES if s.name == v.sprite)
    y = v.motion.y_at(t)
    if y < 5.0 or y > 400.0:  # behind the camera's view or lost in the haze
        return None
    x = v.x_at(y)
    u, vb = cam.ground(x, y)
    w = spec.real_width_m * cam.px_per_m(x, y)
    h = w * sprite.shape[0] / sprite.shape[1]
    wi, hi = max(1, round(w)), max(1, round(h))
    x0, y0 = round(u - wi / 2), round(vb) - hi
    # A billboard is a poor stand-in for a vehicle right under the camera, so a vehicle is
    # dropped once more than half of it has left through the bottom of the frame.
    if wi < 3 or x0 >= W or x0 + wi <= 0 or H - y0 < hi / 2:
        return None
    return Placement(x0, y0, wi, hi, (x, y))


def vehicle_pixels(v: Vehicle, sprite: Image, p: Placement, plates: dict[str, Image], seed: int) -> Image:
    """The vehicle's BGRA sprite at its placed size, mirrored if it is, wearing its plate."""
    if v.plate is None or p.w < MIN_PLATE_VEHICLE_PX:
        src = sprite[:, ::-1] if v.flip else sprite
        shrink = p.w < src.shape[1]
        return np.asarray(cv2.resize(src, (p.w, p.h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR))
    # The plate's own seed, fixed per vehicle: the scene's generator (noise) is left untouched.
    rng = np.random.default_rng([seed, int(v.id[1:])])
    return dress(sprite, PLATE_SPOTS[v.sprite], plates[v.id], Pose((p.w, p.h), v.flip, DEMO_PLATE_SCALE), rng)


def paste_vehicle(img: Image, scaled: Image, p: Placement) -> FloatArray:
    """Draw the placed sprite with a contact shadow; return its alpha."""
    # A soft contact shadow under the bumper grounds the billboard on the road.
    sh = np.zeros((max(3, p.h // 6), p.w + 8), np.float32)
    cv2.ellipse(sh, (sh.shape[1] // 2, sh.shape[0] // 2), (p.w // 2 + 3, max(1, sh.shape[0] // 3)), 0, 0, 360, 1.0, -1)
    sh = cv2.GaussianBlur(sh, (0, 0), max(1.0, sh.shape[0] / 6)) * 0.55
    blend(img, np.zeros((*sh.shape, 3), np.float32), sh, p.x0 - 4, p.y0 + p.h - sh.shape[0] // 2)
    alpha = scaled[:, :, 3].astype(np.float32) / 255.0
    blend(img, scaled[:, :, :3].astype(np.float32), alpha, p.x0, p.y0)
    return alpha


def clipped_box(p: Placement) -> list[int]:
    return [max(p.x0, 0), max(p.y0, 0), min(p.x0 + p.w, W), min(p.y0 + p.h, H)]


@dataclass(frozen=True)
class Sighting:
    """A vehicle in one frame: where its sprite is and how much of it can be seen."""

    placement: Placement
    visible: float  # fraction of the sprite's pixels that are in frame and not covered


Tracks = dict[str, list[Sighting | None]]


def render(cam: Camera, sprites: dict[str, Image], out: Path, seed: int) -> Tracks:
    """Write the clip; return each vehicle's sighting per frame."""
    rng = np.random.default_rng(seed)
    background = render_background(cam, rng)
    head = SignalHead.build(cam)
    writer = cv2.VideoWriter(str(out / "clip.mp4"), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (W, H))
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write mp4v; is opencv-python built with FFmpeg?")
    tracks: Tracks = {v.id: [] for v in SCENE}
    plates = {v.id: render_plate(v.plate, px_per_mm=3.0) for v in SCENE if v.plate is not None}
    try:
        for frame in range(N_FRAMES):
            img = background.copy()
            owner = np.full((H, W), -1, np.int16)  # which vehicle each pixel shows
            t = frame / FPS
            placed = [(k, v, place(cam, v, sprites[v.sprite], t)) for k, v in enumerate(SCENE)]
            # Painter's order: far vehicles first; the signal pole stands at SIGNAL_XY.
            drawn = sorted(((p.world[1], k, v, p) for k, v, p in placed if p is not None), key=lambda e: -e[0])
            area: dict[int, int] = {}
            signal_done = False
            for y, k, v, p in drawn:
                if not signal_done and y < SIGNAL_XY[1]:
                    draw_signal(img, head, frame)
                    signal_done = True
                solid = paste_vehicle(img, vehicle_pixels(v, sprites[v.sprite], p, plates, seed), p) > 0.5
                area[k] = int(solid.sum())
                xa, ya, xb, yb = clipped_box(p)
                region = owner[ya:yb, xa:xb]
                region[solid[ya - p.y0 : yb - p.y0, xa - p.x0 : xb - p.x0]] = k
            if not signal_done:
                draw_signal(img, head, frame)
            for k, v, maybe in placed:
                seen = float((owner == k).sum()) / max(area.get(k, 1), 1)
                tracks[v.id].append(None if maybe is None else Sighting(maybe, round(seen, 3)))
            # Optics soften a little; the sensor adds noise of its own every frame.
            soft = cv2.GaussianBlur(img, (0, 0), 0.6).astype(np.float32)
            soft += 2.0 * rng.standard_normal(soft.shape, dtype=np.float32)
            writer.write(np.clip(soft + 0.5, 0, 255).astype(np.uint8))
    finally:
        writer.release()
    return tracks


# ------------------------------------------------------------------- site and truth


def _clip_polygon(poly: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sutherland-Hodgman against the frame, so every vertex is a pixel of the image."""
    edges = ((0, 0.0, 1), (0, W - 1.0, -1), (1, 0.0, 1), (1, H - 1.0, -1))
    for axis, limit, sign in edges:
        out: list[tuple[float, float]] = []
        for i, cur in enumerate(poly):
            prev = poly[i - 1]
            cur_in, prev_in = sign * (cur[axis] - limit) >= 0, sign * (prev[axis] - limit) >= 0
            if cur_in != prev_in:
                k = (limit - prev[axis]) / (cur[axis] - prev[axis])
                out.append((prev[0] + k * (cur[0] - prev[0]), prev[1] + k * (cur[1] - prev[1])))
            if cur_in:
                out.append(cur)
        poly = out
    return poly


def _pt(u: float, v: float) -> str:
    return f"[{u:.1f}, {v:.1f}]"


def _no_stop_polygon(cam: Camera) -> list[tuple[float, float]]:
    (x0, x1), (y0, y1) = NO_STOP_X, NO_STOP_Y
    return _clip_polygon([cam.ground(x0, y1), cam.ground(x0, y0), cam.ground(x1, y0), cam.ground(x1, y1)])


def site_yaml(cam: Camera) -> str:
    head = SignalHead.build(cam)
    calib_world = [
        (0.0, STOP_Y),
        (LANE_W, STOP_Y),
        (2 * LANE_W, STOP_Y),
        (ROAD_W, STOP_Y),
        (0.0, STOP_Y + 18.0),
        (ROAD_W, STOP_Y + 18.0),
    ]
    calib_img = [cam.ground(x, y) for x, y in calib_world]
    lines = [
        "# Generated by scripts/make_demo.py; edit the script, not this file.",
        'site: {id: demo-simpang, name: "Demo intersection (synthetic)", timezone: Asia/Jakarta, '
        "location: {lat: -6.1754, lon: 106.8272}}",
        "camera:",
        "  id: cam-01",
        "  source: clip.mp4",
        f"  fps: {FPS}",
        f"  resolution: [{W}, {H}]",
        f'  start_time: "{START_TIME}"   # capture time of frame 0',
        "calibration:",
        "  version: 1",
        "  homography:",
        "    # stop-line ends and lane-line feet at the stop line, and edge lines 18 m upstream;",
        "    # exact: the clip is rendered through this very camera",
        f"    image_points: [{', '.join(_pt(u, v) for u, v in calib_img)}]",
        f"    world_points_m: [{', '.join(f'[{x:.1f}, {y:.1f}]' for x, y in calib_world)}]",
        "  lanes:",
    ]
    for k, lane in enumerate(LANES):
        xl, xr = k * LANE_W, (k + 1) * LANE_W
        far, near = STOP_Y + 110.0, 5.0  # near is below the frame; clipping puts it on the bottom row
        ring = [cam.ground(xl, far), cam.ground(xl, near), cam.ground(xr, near), cam.ground(xr, far)]
        poly = _clip_polygon(ring)
        xc = (xl + xr) / 2
        d0, d1 = cam.ground(xc, STOP_Y + 20.0), cam.ground(xc, STOP_Y - 3.0)
        lines += [
            f"    - id: {lane}",
            f"      polygon: [{', '.join(_pt(u, v) for u, v in poly)}]",
            f"      direction: [{_pt(*d0)}, {_pt(*d1)}]",
            f"      speed_limit_kmh: {SPEED_LIMIT_KMH}",
            "      allowed_classes: [car, motorcycle, bus, truck, bicycle]",
        ]
    rois = head.rois()
    lines += [
        "  stop_lines:",
        "    - id: stop-1",
        f"      line: [{_pt(*cam.ground(0.0, STOP_Y))}, {_pt(*cam.ground(ROAD_W, STOP_Y))}]",
        f"      lanes: [{', '.join(LANES)}]",
        "      signal: sig-1",
        "  solid_lines:",
        "    - id: solid-1",
        f"      line: [{_pt(*cam.ground(SOLID_X, SOLID_Y[0]))}, {_pt(*cam.ground(SOLID_X, SOLID_Y[1]))}]",
        "  signals:",
        "    - id: sig-1",
        "      source: vision",
        "      roi: {" + ", ".join(f"{c}: {rois[c]}" for c in ("red", "amber", "green")) + "}",
        "  zones:",
        "    - id: box-1",
        "      kind: no_stopping",
        f"      polygon: [{', '.join(_pt(u, v) for u, v in _no_stop_polygon(cam))}]",
        f"      max_dwell_s: {MAX_DWELL_S}",
        "  restrictions:",
        "    - id: busway-1",
        "      kind: busway",
        f"      lanes: [{LANES[BUSWAY_LANE]}]",
        "      allowed_classes: [bus]",
        f'      windows: ["{BUSWAY_WINDOW}"]',
        "    - id: ganjil-genap-1",
        "      kind: odd_even",
        f"      lanes: [{', '.join(LANES[k] for k in ODD_EVEN_LANES)}]",
        f"      windows: {json.dumps(list(ODD_EVEN_WINDOWS))}",  # a JSON list is a YAML flow list
        "articles: {}",
    ]
    return "\n".join(lines) + "\n"


# What each behaviour means: the signal when the vehicle first passes the stop line going
# forward (None: it never does), and the violations it must cause besides the busway's.
BEHAVIOURS: dict[str, tuple[str | None, frozenset[str]]] = {
    "pass_green": ("green", frozenset()),
    "run_red": ("red", frozenset({"red_light"})),
    "stop_on_red": ("green", frozenset()),
    "stop_past_line": ("red", frozenset({"stop_line"})),
    "speeding": ("green", frozenset({"speeding"})),
    "lane_change_solid": ("green", frozenset({"solid_line_crossing"})),
    "lane_change_dashed": ("green", frozenset()),
    "wrong_way": (None, frozenset({"wrong_way"})),
    "stop_in_box": ("green", frozenset({"illegal_stop"})),
    "stop_in_box_briefly": ("green", frozenset()),
}
NEAR_Y = 33.0  # nearer than this one pixel spans < 0.1 m of road: the speed trap, where classes are judged
DEBOUNCE_FRAMES = 3  # the signal reader's default
JUNCTION_M = 5.0  # red_light's junction_distance_m: the site file draws no junction line


def _violations(v: Vehicle, spec: SpriteSpec, ys: list[float], seen: list[int],
                widths: dict[int, int]) -> list[dict[str, object]]:
    """The violations the scripted motion commits, each with the frame the rule should fire on
    and a window of frames in which firing is right (detection and tracking take their time).
    `widths`: the vehicle's box width in pixels per frame it is seen."""
    red_start = next(first for state, first, _ in PHASES if state == "red")
    red_end = next(last for state, _, last in PHASES if state == "red")
    out: list[dict[str, object]] = []

    def add(kind: str, frame: int, window: tuple[int, int], feature: str, **extra: object) -> None:
        lane = LANES[v.lane_at(ys[frame])]
        out.append({"kind": kind, "frame": frame, "window": list(window), "lane": lane, "feature": feature, **extra})

    cross = next((f for f in range(1, N_FRAMES) if ys[f - 1] >= STOP_Y > ys[f]), None)
    junction = next((f for f in range(1, N_FRAMES) if ys[f - 1] >= STOP_Y - JUNCTION_M > ys[f]), None)
    # Red means proceeding: over the stop line on red, then into the junction still on red.
    if cross is not None and phase_at(cross) == "red" and junction is not None and phase_at(junction) == "red":
        add("red_light", cross, (cross - 2, cross + 2), "stop-1", time_into_red_s=round((cross - red_start) / FPS, 2))
    at_rest = [f for f in range(1, N_FRAMES) if ys[f] == ys[f - 1]]
    if at_rest:
        rest0, y_rest = at_rest[0] - 1, ys[at_rest[0]]
        red_rest = [f for f in at_rest if red_start <= f <= red_end]
        crossed_on_red = cross is not None and phase_at(cross) == "red"
        if red_rest and crossed_on_red and STOP_Y - JUNCTION_M < y_rest < STOP_Y - 0.2:
            # Judged when the red ends (the reader sees green after its debounce), not before:
            # a creeper who then ran the red would be red_light only.
            frame = red_end + 1 + DEBOUNCE_FRAMES
            add("stop_line", frame, (red_end, frame + 2 * FPS), "stop-1", gap_m=round(STOP_Y - y_rest, 2))
        x_rest = v.x_at(y_rest)
        in_box = NO_STOP_X[0] < x_rest < NO_STOP_X[1] and NO_STOP_Y[0] < y_rest < NO_STOP_Y[1]
        dwell = (at_rest[-1] - rest0) / FPS
        if in_box and dwell > MAX_DWELL_S:
            frame = rest0 + round(MAX_DWELL_S * FPS)
            add("illegal_stop", frame, (frame - 5, frame + 15), "box-1", dwell_s=round(dwell, 1))
    if spec.cls != "bus" and seen and all(v.lane_at(ys[f]) == BUSWAY_LANE for f in seen):
        # Judged once the vehicle is near (restricted_lane's max_m_per_px) and a second in the lane.
        frame = max(seen[0] + FPS, next(f for f in seen if ys[f] <= NEAR_Y))
        add("restricted_lane", frame, (frame - 3, seen[-1]), "busway-1")
    if v.change is not None:
        side = [v.x_at(ys[f]) - SOLID_X for f in range(N_FRAMES)]
        clear = [f for f in range(N_FRAMES) if abs(side[f]) >= 0.3 and f in seen]
        flips = [b for a, b in pairwise(clear) if side[a] * side[b] < 0]
        mid_y = (v.change.y_from + v.change.y_to) / 2
        if flips and SOLID_Y[0] < mid_y < SOLID_Y[1]:
            add("solid_line_crossing", flips[0], (flips[0] - 3, flips[0] + 5), "solid-1")
    if seen and ys[seen[-1]] > ys[seen[0]] + 3.0:
        add("wrong_way", seen[0] + 15, (seen[0], seen[0] + 40), LANES[v.lane_at(ys[seen[0]])])
    day = int(START_TIME[8:10])
    if v.plate is not None and spec.cls not in ODD_EVEN_EXEMPT and int(v.plate.plate.number[-1]) % 2 != day % 2:
        # Checked once wide enough and a second in the restricted lanes (the rule's defaults).
        inside = {f for f in seen if v.lane_at(ys[f]) in ODD_EVEN_LANES}
        checked = [f for f in sorted(inside) if widths[f] >= ODD_EVEN_MIN_WIDTH_PX
                   and all(g in inside for g in range(f - FPS, f + 1))]
        if checked:
            add("odd_even", checked[0], (checked[0] - 3, seen[-1]), "ganjil-genap-1",
                plate_number=v.plate.plate.number)
    trap = [f for f in seen if ys[f] <= NEAR_Y]
    if len(trap) >= 2:
        speed_ms = abs(ys[trap[0]] - ys[trap[-1]]) / ((trap[-1] - trap[0]) / FPS)
        if speed_ms * 3.6 > SPEED_LIMIT_KMH:
            frame = trap[0] + 6
            # The rule's own trap (0.25 m/px) starts farther out than NEAR_Y: with 0.6 s of positions
            # (edge.rules.speeding: min_window_s) it may fire up to four frames before the vehicle
            # reaches NEAR_Y (v9: three).
            add("speeding", frame, (frame - 10, frame + 10), LANES[v.lane_at(ys[frame])],
                speed_kmh=round(speed_ms * 3.6, 1), limit_kmh=SPEED_LIMIT_KMH)
    return out


def _check_behaviour(v: Vehicle, spec: SpriteSpec, ys: list[float], kinds: set[str], cross: int | None) -> None:
    """Refuse a scene whose vehicles do not do what their behaviour says."""
    state = phase_at(cross) if cross is not None else None
    want_state, want_kinds = BEHAVIOURS[v.behaviour]
    if state != want_state:
        raise AssertionError(f"{v.id} meant to {v.behaviour} but crosses on {state}")
    busway = {"restricted_lane"} if v.lane == BUSWAY_LANE and spec.cls != "bus" else set()
    if kinds - {"odd_even"} != set(want_kinds) | busway:  # odd_even follows from the plate, not the motion
        raise AssertionError(f"{v.id} meant to {v.behaviour} but commits {sorted(kinds)}")
    at_rest = [f for f in range(1, N_FRAMES) if ys[f] == ys[f - 1]]
    stops_clear = bool(at_rest) and ys[at_rest[0]] - STOP_Y >= 1.5
    if stops_clear != (v.behaviour == "stop_on_red"):
        raise AssertionError(f"{v.id} meant to {v.behaviour} but stops clear of the line: {stops_clear}")
    if v.behaviour == "stop_in_box_briefly" and (at_rest[-1] - at_rest[0] + 1) / FPS > MAX_DWELL_S - 1.0:
        raise AssertionError(f"{v.id} stands in the box too long to be clearly allowed")
    if v.behaviour == "lane_change_dashed" and v.change is not None and v.change.y_to < SOLID_Y[1] + 2.0:
        raise AssertionError(f"{v.id} changes lanes too near the solid line")
    top_kmh = 3.6 * max(abs(ys[f] - ys[f - 1]) * FPS for f in range(1, N_FRAMES))
    if v.behaviour != "speeding" and top_kmh > 0.95 * SPEED_LIMIT_KMH:
        raise AssertionError(f"{v.id} drives {top_kmh:.0f} km/h, too near the limit")


def ground_truth(tracks: Tracks) -> dict[str, object]:
    vehicles = []
    for v in SCENE:
        spec = next(s for s in SPRITES if s.name == v.sprite)
        ys = [v.motion.y_at(f / FPS) for f in range(N_FRAMES)]
        # The line is a straight ground line of constant Y, so "below it in the image"
        # and "Y < STOP_Y" are the same test.
        cross = next((f for f in range(1, N_FRAMES) if ys[f - 1] >= STOP_Y > ys[f]), None)
        seen_frames = [f for f, s in enumerate(tracks[v.id]) if s is not None]
        widths = {f: box[2] - box[0] for f, s in enumerate(tracks[v.id]) if s is not None
                  for box in [clipped_box(s.placement)]}
        violations = _violations(v, spec, ys, seen_frames, widths)
        _check_behaviour(v, spec, ys, {str(e["kind"]) for e in violations}, cross)
        entry: dict[str, object] = {
            "id": v.id,
            "class": spec.cls,
            "lane": LANES[v.lane],
            "photo": spec.photo,
            "sprite": f"sprites/{spec.name}.png",
            "flipped": v.flip,
            "behaviour": v.behaviour,
            "plate": None if v.plate is None else {
                "text": v.plate.plate.text, "formatted": v.plate.plate.formatted, "colour": v.plate.colour},
            "stop_line_cross_frame": cross,
            "signal_at_crossing": phase_at(cross) if cross is not None else None,
            "expected_violations": violations,
        }
        if v.change is not None:
            entry["lane_change"] = {"to": LANES[v.change.to_lane], "from_y_m": v.change.y_from, "to_y_m": v.change.y_to}
        at_rest = [f for f in range(1, N_FRAMES) if ys[f] == ys[f - 1]]
        if at_rest:
            entry["stopped_frames"] = [at_rest[0] - 1, at_rest[-1]]
            entry["stop_gap_m"] = round(ys[at_rest[0]] - STOP_Y, 2)
        seen = [(f, s) for f, s in enumerate(tracks[v.id]) if s is not None]
        entry["boxes"] = [[f, *clipped_box(s.placement)] for f, s in seen]
        entry["visible"] = [[f, s.visible] for f, s in seen]
        entry["ground_m"] = [[f, round(s.placement.world[0], 3), round(s.placement.world[1], 3)] for f, s in seen]
        vehicles.append(entry)
    return {
        "clip": "clip.mp4",
        "fps": FPS,
        "frames": N_FRAMES,
        "resolution": [W, H],
        "start_time": START_TIME,
        "signal": [{"signal": "sig-1", "state": s, "start_frame": a, "end_frame": b} for s, a, b in PHASES],
        "signal_dimmed_frames": list(DIM_FRAMES),
        "stop_line": {"id": "stop-1", "world_y_m": STOP_Y},
        "solid_line": {"id": "solid-1", "world_x_m": SOLID_X, "world_y_m": list(SOLID_Y)},
        "busway": {"id": "busway-1", "lane": LANES[BUSWAY_LANE], "window": BUSWAY_WINDOW},
        "odd_even": {"id": "ganjil-genap-1", "lanes": [LANES[k] for k in ODD_EVEN_LANES],
                     "windows": list(ODD_EVEN_WINDOWS), "exempt_classes": list(ODD_EVEN_EXEMPT),
                     "date": START_TIME[:10]},
        "no_stopping_zone": {"id": "box-1", "world_x_m": list(NO_STOP_X), "world_y_m": list(NO_STOP_Y),
                             "max_dwell_s": MAX_DWELL_S},
        "speed_limit_kmh": SPEED_LIMIT_KMH,
        "vehicles": vehicles,
    }


def _compact_json(truth: dict[str, object]) -> str:
    """Indented JSON with every list of numbers on one line: one box per line, diffable."""
    text = json.dumps(truth, indent=1)
    innermost = r'\[[^\[\]{}"]*\]'  # a list holding only numbers or null
    return re.sub(innermost, lambda m: "[" + " ".join(m.group(0)[1:-1].split()) + "]", text) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("calibration/demo"),
        help="folder for clip.mp4, site.yaml, ground_truth.json and sprites/",
    )
    parser.add_argument(
        "--assets", type=Path, default=None, help="folder holding the source photos; rebuilds sprites/ from them"
    )
    parser.add_argument("--seed", type=int, default=20260115, help="seed of the scene's randomness")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    sprites = build_sprites(args.assets, out / "sprites") if args.assets else load_sprites(out / "sprites")
    cam = Camera()
    tracks = render(cam, sprites, out, args.seed)
    (out / "site.yaml").write_text(site_yaml(cam))
    (out / "ground_truth.json").write_text(_compact_json(ground_truth(tracks)))
    reference = save_reference(clip_still(out / "clip.mp4", REFERENCE_FRAME), out / "site.yaml", 1)
    print(f"wrote {out / 'clip.mp4'} ({(out / 'clip.mp4').stat().st_size / 1e6:.1f} MB), site.yaml, ground_truth.json, "
          f"{reference.relative_to(out)}")


if __name__ == "__main__":
    main()
