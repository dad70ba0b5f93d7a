"""Vehicles as real-size 3D cuboids drawn through the exact camera.

The face towards the camera (the front of oncoming traffic, the rear of a vehicle driving
away) carries a real photo; sides and roof are the photo's body colour, shaded, with a
window band and dark wheels. A tall vehicle seen obliquely shows its side and roof, so its
image box is not centred on its footprint: the realism the rules must cope with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from evaluation.camera import Camera
from evaluation.sprites import Sprite, load_sprites

Image = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]
VClass = Literal["car", "motorcycle", "bus", "truck", "pickup"]
# width, length, height in metres (a motorcycle with its rider)
DIMS: dict[str, tuple[float, float, float]] = {
    "car": (1.75, 4.4, 1.5), "pickup": (1.8, 5.1, 1.8), "motorcycle": (0.75, 1.9, 1.6),
    "bus": (2.5, 12.0, 3.3), "truck": (2.45, 7.5, 3.2)}
PLATE_M: dict[str, tuple[float, float]] = {"car": (0.43, 0.135), "motorcycle": (0.275, 0.11)}
# a photo of another class stands in where the bundled set has none of this one
FALLBACK: dict[str, tuple[str, ...]] = {
    "pickup": ("pickup", "car"), "truck": ("truck", "bus"), "car": ("car",), "bus": ("bus",),
    "motorcycle": ("motorcycle",)}
GLASS = (62.0, 56.0, 50.0)
TYRE = (28.0, 28.0, 30.0)


@dataclass(frozen=True)
class Texture:
    """A sprite prepared for warping: its own plate painted over, a pyramid of sizes."""

    sprite: Sprite
    levels: tuple[Image, ...]
    colour: tuple[float, float, float]


def _cover_plate(img: Image, box: tuple[float, float, float, float] | None) -> Image:
    out = img.copy()
    if box is None:
        return out
    h, w = img.shape[:2]
    x0, y0, x1, y1 = round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)
    ring = out[max(0, y0 - 3) : y1 + 3, max(0, x0 - 3) : x1 + 3, :3].reshape(-1, 3)
    out[y0:y1, x0:x1, :3] = np.median(ring, axis=0).astype(np.uint8)
    return out


def prepare(sprite: Sprite) -> Texture:
    img = _cover_plate(sprite.image, sprite.plate_box)
    levels = [img]
    while min(levels[-1].shape[:2]) > 16:
        levels.append(np.asarray(cv2.pyrDown(levels[-1]), np.uint8))
    h = img.shape[0]
    band = img[h // 5 : h // 2]
    opaque = band[band[:, :, 3] > 200][:, :3]
    colour = np.median(opaque, axis=0) if len(opaque) else np.array([128.0, 128.0, 128.0])
    return Texture(sprite, tuple(levels), (float(colour[0]), float(colour[1]), float(colour[2])))


class TextureBank:
    """Every sprite, prepared once per process; picks photos by class and view."""

    def __init__(self, sprites: list[Sprite] | None = None) -> None:
        self.textures = {s.name: prepare(s) for s in (sprites if sprites is not None else load_sprites())}

    def choices(self, cls: str, view: str) -> list[str]:
        for c in FALLBACK[cls]:
            names = sorted(n for n, t in self.textures.items() if t.sprite.vehicle_class == c)
            exact = [n for n in names if self.textures[n].sprite.view == view]
            if exact or names:
                return exact or names
        raise LookupError(f"no sprite for {cls}")


@dataclass(frozen=True)
class Body:
    """A vehicle's cuboid: real size in metres, its photo and body colour."""

    cls: VClass
    width: float
    length: float
    height: float
    sprite: str
    colour: tuple[float, float, float]
    face_h: float  # height of the photo on the textured face


def make_body(cls: VClass, sprite: Sprite, colour: tuple[float, float, float], rng: np.random.Generator,
              max_width: float) -> Body:
    w0, l0, h0 = DIMS[cls]
    k = rng.uniform(0.92, 1.08, 3)
    width = min(w0 * k[0], max_width)
    face_h = sprite.face_height_m * width / sprite.face_width_m
    height = max(h0 * k[2], face_h)
    if cls == "motorcycle" or face_h < 0.8 * height:
        # a photo much lower than the body (a side or three-quarter view) would leave a dark slab
        # the detector cannot read as a vehicle: stretch it over the whole face
        face_h = height
    return Body(cls, round(width, 3), round(l0 * k[1], 3), round(height, 3), sprite.name, colour, round(face_h, 3))


@dataclass(frozen=True)
class Pose:
    """Footprint centre and the unit vector the vehicle's front points along (ground)."""

    x: float
    y: float
    fx: float
    fy: float


def corners(b: Body, p: Pose) -> F64:
    """8 corners: bottom then top, each (front-left, front-right, rear-right, rear-left) seen from behind."""
    f = np.array([p.fx, p.fy])
    r = np.array([-p.fy, p.fx])  # the vehicle's right
    c = np.array([p.x, p.y])
    foot = [c + f * b.length / 2 - r * b.width / 2, c + f * b.length / 2 + r * b.width / 2,
            c - f * b.length / 2 + r * b.width / 2, c - f * b.length / 2 - r * b.width / 2]
    return np.array([[q[0], q[1], z] for z in (0.0, b.height) for q in foot])


FACES: dict[str, tuple[int, int, int, int]] = {
    "front": (0, 1, 5, 4), "rear": (2, 3, 7, 6), "right": (1, 2, 6, 5), "left": (3, 0, 4, 7), "top": (4, 5, 6, 7)}
SHADE = {"front": 1.0, "rear": 1.0, "right": 0.78, "left": 0.7, "top": 1.12}


def visible_faces(cam: Camera, pts: F64) -> list[str]:
    centre = pts.mean(axis=0)
    out = []
    for name, idx in FACES.items():
        quad = pts[list(idx)]
        mid = quad.mean(axis=0)
        normal = mid - centre if name != "top" else np.array([0.0, 0.0, 1.0])
        if float(normal @ (cam.centre - mid)) > 0:
            out.append(name)
    return out


def image_box(cam: Camera, b: Body, p: Pose) -> tuple[float, float, float, float, float] | None:
    """The projected cuboid's box clipped to the image and its unclipped area; None when not in view."""
    pts = corners(b, p)
    if (cam.depth(pts) < 0.5).any():
        return None
    uv = cam.project(pts)
    x0, y0 = uv.min(axis=0)
    x1, y1 = uv.max(axis=0)
    cx0, cy0 = max(x0, 0.0), max(y0, 0.0)
    cx1, cy1 = min(x1, cam.width - 1.0), min(y1, cam.height - 1.0)
    if cx1 - cx0 < 2 or cy1 - cy0 < 2:
        return None
    hull = cv2.convexHull(uv.astype(np.float32))
    return float(cx0), float(cy0), float(cx1), float(cy1), float(cv2.contourArea(hull))


def face_quad(cam: Camera, pts: F64, face: str, top: float) -> F64:
    """Image corners (tl, tr, br, bl as seen) of a vertical face from the ground to height ``top``."""
    a, b = pts[FACES[face][0]], pts[FACES[face][1]]
    ua, ub = cam.project([a, b])[:, 0]
    left, right = (a, b) if ua <= ub else (b, a)
    world = [[*left[:2], top], [*right[:2], top], [*right[:2], 0.0], [*left[:2], 0.0]]
    return cam.project(world)


def plate_world(pts: F64, face: str, b: Body, box: tuple[float, float, float, float] | None,
                cam: Camera) -> F64:
    """World corners (tl, tr, br, bl as seen) of the real-size plate on the textured face."""
    pw, ph = PLATE_M["motorcycle" if b.cls == "motorcycle" else "car"]
    a, c = pts[FACES[face][0]], pts[FACES[face][1]]
    ua, uc = cam.project([a, c])[:, 0]
    left, right = (a, c) if ua <= uc else (c, a)
    fx, fy = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2) if box else (0.5, 0.78)
    along = (right - left)[:2] / np.linalg.norm((right - left)[:2])
    centre = left[:2] + along * fx * b.width
    zc = b.face_h * (1 - fy)
    zc = min(max(zc, ph / 2 + 0.05), b.height - ph / 2)
    lft, rgt = centre - along * pw / 2, centre + along * pw / 2
    return np.array([[*lft, zc + ph / 2], [*rgt, zc + ph / 2], [*rgt, zc - ph / 2], [*lft, zc - ph / 2]])


def side_details(b: Body, pts: F64, face: str) -> list[tuple[F64, tuple[float, float, float]]]:
    """World quads of a side face's window band and wheels, with their colours."""
    a, c = pts[FACES[face][0]], pts[FACES[face][1]]
    out: list[tuple[F64, tuple[float, float, float]]] = []

    def quad(s0: float, s1: float, z0: float, z1: float) -> F64:
        p0, p1 = a + (c - a) * s0, a + (c - a) * s1
        return np.array([[*p0[:2], z1], [*p1[:2], z1], [*p1[:2], z0], [*p0[:2], z0]])

    if b.cls != "motorcycle":
        z0 = max(b.face_h * 0.8, b.height * 0.55)
        span = (0.05, 0.3) if b.cls in ("truck", "pickup") else (0.08, 0.92)
        if z0 < b.height * 0.92:
            out.append((quad(*span, z0, b.height * 0.92), GLASS))
    wheel = min(0.9, 0.16 * b.length) / b.length
    for s in (0.12, 0.88 - wheel):
        out.append((quad(s, s + wheel, 0.0, min(0.7, 0.25 * b.height)), TYRE))
    return out


def heading(dx: float, dy: float) -> tuple[float, float]:
    n = math.hypot(dx, dy)
    return (dx / n, dy / n) if n > 1e-9 else (0.0, -1.0)


def corners_many(b: Body, xs: F64, ys: F64, head: F64) -> F64:
    """``corners`` for many poses at once: (n, 8, 3)."""
    f = head
    r = np.column_stack([-head[:, 1], head[:, 0]])
    c = np.column_stack([xs, ys])
    hl, hw = b.length / 2, b.width / 2
    foot = np.stack([c + f * hl - r * hw, c + f * hl + r * hw, c - f * hl + r * hw, c - f * hl - r * hw], axis=1)
    out = np.zeros((len(xs), 8, 3))
    out[:, :4, :2] = foot
    out[:, 4:, :2] = foot
    out[:, 4:, 2] = b.height
    return out


def boxes_many(cam: Camera, b: Body, xs: F64, ys: F64, head: F64) -> tuple[F64, F64]:
    """Clipped image boxes (n, 4; NaN where not in view) and front-plate widths in pixels (0 where unseen)."""
    n = len(xs)
    pts = corners_many(b, xs, ys, head).reshape(-1, 3)
    depth = cam.depth(pts).reshape(n, 8)
    uv = cam.project(pts).reshape(n, 8, 2)
    ok = (depth > 0.5).all(axis=1)
    lo, hi = uv.min(axis=1), uv.max(axis=1)
    lo = np.maximum(lo, 0.0)
    hi = np.minimum(hi, [cam.width - 1.0, cam.height - 1.0])
    ok &= ((hi - lo) >= 2).all(axis=1)
    box = np.where(ok[:, None], np.column_stack([lo, hi]), np.nan)
    pw = PLATE_M["motorcycle" if b.cls == "motorcycle" else "car"][0]
    front_mid = np.column_stack([xs + head[:, 0] * b.length / 2, ys + head[:, 1] * b.length / 2])
    to_cam = cam.centre[:2] - front_mid
    facing = (to_cam * head).sum(axis=1) > 0
    side = np.column_stack([-head[:, 1], head[:, 0]]) * pw / 2
    z = np.full((n, 1), 0.5)
    ends = np.concatenate([np.column_stack([front_mid - side, z]), np.column_stack([front_mid + side, z])])
    puv = cam.project(ends)
    a, c = puv[:n], puv[n:]
    inside = ((puv[:, 0] >= 0) & (puv[:, 0] < cam.width) & (puv[:, 1] >= 0) & (puv[:, 1] < cam.height))
    seen = ok & facing & inside[:n] & inside[n:] & (cam.depth(ends[:n]) > 0.5)
    plate = np.where(seen, np.hypot(*(c - a).T), 0.0)
    return box, plate
