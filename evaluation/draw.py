"""Drawing one frame: vehicles (cuboids with a photo face and a real-size plate), the
signal head with its glow and glare, lighting and sensor noise."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from evaluation.camera import Camera
from evaluation.layout import Layout, State
from evaluation.vehicles import (
    FACES,
    GLASS,
    SHADE,
    Body,
    Pose,
    Texture,
    corners,
    face_quad,
    plate_world,
    side_details,
    visible_faces,
)

Image = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
LAMP_BGR = {"red": (40, 40, 255), "amber": (20, 170, 255), "green": (150, 255, 60)}
LAMP_OFF_BGR = {"red": (38, 36, 58), "amber": (34, 46, 58), "green": (44, 54, 40)}


def _poly(img: Image, uv: npt.NDArray[np.float64], colour: tuple[float, ...], ox: int, oy: int) -> None:
    pts = np.round((uv - [ox, oy]) * 16).astype(np.int32)
    cv2.fillConvexPoly(img, pts, tuple(float(c) for c in colour), cv2.LINE_AA, shift=4)


def _texture(roi: Image, tex: Texture, quad: npt.NDArray[np.float64], ox: int, oy: int) -> None:
    """Warp the photo onto the face quad (tl, tr, br, bl), choosing a pyramid level near the size."""
    width = float(np.hypot(*(quad[1] - quad[0])))
    level = tex.levels[0]
    for lv in tex.levels:
        if lv.shape[1] >= 1.5 * width:
            level = lv
    h, w = level.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = (quad - [ox, oy]).astype(np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(level, m, (roi.shape[1], roi.shape[0]), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    alpha = warped[:, :, 3:4].astype(np.float32) / 255.0
    mix = roi.astype(np.float32) * (1 - alpha) + warped[:, :, :3].astype(np.float32) * alpha
    roi[:] = np.clip(mix, 0, 255).astype(np.uint8)


def _paste_plate(roi: Image, plate: Image, quad: npt.NDArray[np.float64], ox: int, oy: int) -> None:
    from plate_synth import paste  # type: ignore[import-not-found]  # noqa: PLC0415 (truth.py puts scripts/ on the path)

    roi[:] = np.asarray(paste(roi, plate, (quad - [ox, oy]).astype(np.float32)), np.uint8)


def draw_vehicle(img: Image, cam: Camera, body: Body, pose: Pose, tex: Texture, plate: Image | None) -> None:
    """Draw one cuboid vehicle into ``img`` (painter's order is the caller's job)."""
    pts = corners(body, pose)
    if (cam.depth(pts) < 0.5).any():
        return
    uv = cam.project(pts)
    x0, y0 = np.floor(uv.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(uv.max(axis=0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, cam.width), min(y1, cam.height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    roi = img[y0:y1, x0:x1]
    shadow = np.zeros(roi.shape[:2], np.uint8)
    foot = cam.project(np.column_stack([pts[:4, :2], np.zeros(4)]))
    cv2.fillConvexPoly(shadow, np.round((foot - [x0, y0]) * 16).astype(np.int32), 1, cv2.LINE_AA, shift=4)
    roi[shadow > 0] = (roi[shadow > 0] * 0.55).astype(np.uint8)
    faces = visible_faces(cam, pts)
    colour = np.array(body.colour)
    for face in faces:
        if face in ("front", "rear") or body.cls == "motorcycle":  # a rider on a bike is no box: photo only
            continue
        _poly(roi, uv[list(FACES[face])], tuple(colour * SHADE[face]), x0, y0)
        if face in ("left", "right"):
            for quad, c in side_details(body, pts, face):
                _poly(roi, cam.project(quad), c, x0, y0)
    shown = next((f for f in faces if f in ("front", "rear")), None)
    if shown is None:
        return
    if body.face_h < body.height:
        _poly(roi, face_quad(cam, pts, shown, body.height), GLASS, x0, y0)
    _texture(roi, tex, face_quad(cam, pts, shown, body.face_h), x0, y0)
    if plate is not None:
        quad = cam.project(plate_world(pts, shown, body, tex.sprite.plate_box, cam))
        if float(np.hypot(*(quad[1] - quad[0]))) >= 3.0:
            _paste_plate(roi, plate, quad, x0, y0)


def hull(cam: Camera, body: Body, pose: Pose) -> npt.NDArray[np.int32] | None:
    pts = corners(body, pose)
    if (cam.depth(pts) < 0.5).any():
        return None
    return np.asarray(cv2.convexHull(np.round(cam.project(pts)).astype(np.int32)), np.int32)


def draw_signal(img: Image, cam: Camera, lay: Layout, state: State, glare: float) -> None:
    """The head (housing, three lamps), the lit lamp glowing; ``glare`` > 0 adds sun glare on the lenses."""
    lamps = lay.lamp_centres()
    r = lay.lamp_radius_m
    top = lay.signal_top_m
    x, y = lay.signal_xy
    housing = cam.project([[x - 1.6 * r, y, top], [x + 1.6 * r, y, top],
                           [x + 1.6 * r, y, top - 8.4 * r], [x - 1.6 * r, y, top - 8.4 * r]])
    base = cam.project([[x, y, 0.0], [x, y, top - 8.4 * r]])
    thick = max(2, round(0.12 * cam.px_per_m(x, y, top)))
    cv2.line(img, tuple(int(v) for v in np.round(base[0])), tuple(int(v) for v in np.round(base[1])),
             (70, 72, 74), thick, cv2.LINE_AA)
    cv2.fillConvexPoly(img, np.round(housing).astype(np.int32), (28, 28, 30), cv2.LINE_AA)
    rad = max(4.0, r * cam.px_per_m(x, y, top))
    for colour, centre3 in lamps.items():
        u, v = cam.project([centre3])[0]
        c = (round(u), round(v))
        lit = colour == state
        bgr: tuple[int, ...] = LAMP_BGR[colour] if lit else LAMP_OFF_BGR[colour]
        if not lit and glare > 0:  # the sun on an unlit lens: a pale sheen, never as bright as a lit lamp
            bgr = tuple(min(255, int(b + 60 * glare)) for b in bgr)
        if lit:
            pad = int(rad * 3)
            x0, y0 = max(c[0] - pad, 0), max(c[1] - pad, 0)
            x1, y1 = min(c[0] + pad, cam.width), min(c[1] + pad, cam.height)
            if x1 > x0 and y1 > y0:
                glow = np.zeros((y1 - y0, x1 - x0, 3), np.float32)
                cv2.circle(glow, (c[0] - x0, c[1] - y0), int(rad * 1.3), tuple(float(k) for k in bgr), -1)
                glow = cv2.GaussianBlur(glow, (0, 0), rad * 0.8) * 0.8
                img[y0:y1, x0:x1] = np.clip(img[y0:y1, x0:x1] + glow, 0, 255).astype(np.uint8)
        cv2.circle(img, c, round(rad), tuple(int(k) for k in bgr), -1, cv2.LINE_AA)
        if lit:
            core = tuple(min(255, k + 150) for k in bgr)
            cv2.circle(img, c, max(1, round(rad * 0.55)), core, -1, cv2.LINE_AA)


class Finish:
    """Per-scene lighting, rain streaks and sensor noise, precomputed so each frame is cheap."""

    def __init__(self, lighting: str, w: int, h: int, rng: np.random.Generator) -> None:
        x = np.arange(256, dtype=np.float32) / 255.0
        curves = {"day": x, "dusk": 0.62 * x**1.25, "overcast": 0.12 + 0.72 * x, "rain": 0.08 + 0.7 * x**1.1}
        tint = {"day": (1.0, 1.0, 1.0), "dusk": (0.85, 0.95, 1.12), "overcast": (1.02, 1.0, 0.97),
                "rain": (1.04, 1.0, 0.95)}[lighting]
        self.lut = np.stack([np.clip(curves[lighting] * 255 * t, 0, 255) for t in tint], axis=1).astype(np.uint8)
        self.lut = self.lut.reshape(256, 1, 3)
        self.identity = lighting == "day"
        sigma = 3.5 if lighting in ("dusk", "rain") else 2.0
        noise = [np.clip(rng.normal(0, sigma, (h, w, 3)), -12, 12).astype(np.float32) for _ in range(4)]
        self.pos = [np.clip(n, 0, None).astype(np.uint8) for n in noise]
        self.neg = [np.clip(-n, 0, None).astype(np.uint8) for n in noise]
        self.rain: list[Image] = []
        if lighting == "rain":
            for _ in range(5):
                layer = np.zeros((h, w), np.uint8)
                for _ in range(w * h // 2500):
                    x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
                    length = int(rng.integers(8, 22))
                    cv2.line(layer, (x0, y0), (x0 + length // 5, y0 + length), 60, 1, cv2.LINE_AA)
                streaks = cv2.cvtColor(cv2.GaussianBlur(layer, (3, 3), 0), cv2.COLOR_GRAY2BGR)
                self.rain.append(np.asarray(streaks, np.uint8))

    def tone(self, img: Image) -> Image:
        """The scene's light on a BGR or BGRA image (alpha untouched); applied once per scene, not per frame."""
        if self.identity:
            return img
        out = img.copy()
        out[..., :3] = cv2.LUT(np.ascontiguousarray(img[..., :3]), self.lut)
        return out

    def tone_colour(self, bgr: tuple[float, float, float]) -> tuple[float, float, float]:
        px = self.tone(np.array([[bgr]], np.uint8))[0, 0]
        return float(px[0]), float(px[1]), float(px[2])

    def apply(self, img: Image, frame: int) -> Image:
        """Rain and sensor noise: what changes from frame to frame."""
        out = img
        if self.rain:
            out = np.asarray(cv2.add(out, self.rain[frame % len(self.rain)]), np.uint8)
        k = frame % len(self.pos)
        return np.asarray(cv2.subtract(cv2.add(out, self.pos[k]), self.neg[k]), np.uint8)
