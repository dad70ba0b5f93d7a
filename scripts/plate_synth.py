"""Synthetic Indonesian plates (TNKB): render, paste onto a vehicle photo, degrade like a camera.

Shared by scripts/make_plates.py (the test set), scripts/make_demo.py (the demo clip's
vehicles) and the plate tests. Everything random takes a numpy Generator, so a seed gives
the same pixels on every run (with the same Pillow/OpenCV builds and the same font file).

Geometry follows the TNKB: a car plate is 430 × 135 mm (a motorcycle's 275 × 110 mm), with
the main line (code, number, suffix) on top, the month.year of expiry below it, and a thin
border line in the letter colour. The letters are DejaVu Sans Condensed Bold stretched to the
plate's tall, narrow letter shapes; Debian ships it in fonts-dejavu-extra.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from edge.plates.indonesia import PlateColour, PlateText
from edge.plates.regions import REGIONS

BGR = npt.NDArray[np.uint8]
FONT_FILE = "DejaVuSansCondensed-Bold.ttf"
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")

# Background and letter colours (BGR) per plate colour.
COLOURS: dict[PlateColour, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "black": ((22, 22, 24), (236, 236, 236)),
    "white": ((236, 238, 238), (18, 18, 20)),
    "red": ((40, 36, 196), (240, 240, 240)),
    "yellow": ((24, 200, 236), (18, 18, 20)),
    "green": ((64, 140, 28), (18, 18, 20)),
}
Kind = Literal["car", "motorcycle"]
SIZE_MM: dict[Kind, tuple[float, float]] = {"car": (430.0, 135.0), "motorcycle": (275.0, 110.0)}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class FontMissingError(RuntimeError):
    pass


@cache
def find_font() -> Path:
    """The condensed bold font: $ETLE_PLATE_FONT, else the usual font folders."""
    override = os.environ.get("ETLE_PLATE_FONT")
    if override:
        return Path(override)
    for folder in FONT_DIRS:
        hits = sorted(Path(folder).expanduser().rglob(FONT_FILE)) if Path(folder).expanduser().is_dir() else []
        if hits:
            return hits[0]
    raise FontMissingError(f"{FONT_FILE} not found: apt-get install fonts-dejavu-extra (or set ETLE_PLATE_FONT)")


@dataclass(frozen=True)
class PlateSpec:
    plate: PlateText
    colour: PlateColour
    expiry: str  # "MM.YY"
    kind: Kind = "car"


def random_plate(rng: np.random.Generator) -> PlateSpec:
    """A random valid plate: any region code, 1–4 digits, 0–3 letters, a colour mix like the road's."""
    colour = str(rng.choice(["black", "white", "yellow", "red", "green"], p=[0.4, 0.37, 0.12, 0.07, 0.04]))
    if rng.random() < 0.03:
        plate = PlateText(str(rng.choice(["CD", "CC"])), f"{rng.integers(10, 100)}{rng.integers(10, 100)}", "")
        colour = "white"
    else:
        code = str(rng.choice(sorted(REGIONS)))
        digits = int(rng.choice([1, 2, 3, 4], p=[0.05, 0.15, 0.3, 0.5]))
        number = str(rng.integers(10 ** (digits - 1) if digits > 1 else 1, 10**digits))
        letters = int(rng.choice([0, 1, 2, 3], p=[0.05, 0.2, 0.4, 0.35]))
        plate = PlateText(code, number, "".join(rng.choice(list(LETTERS), letters)))
    kind: Kind = "motorcycle" if rng.random() < 0.15 else "car"
    expiry = f"{rng.integers(1, 13):02d}.{rng.integers(24, 31)}"
    return PlateSpec(plate, colour, expiry, kind)  # type: ignore[arg-type]


def _text_image(text: str, height_px: int, stretch: float) -> Image.Image:
    """White-on-black mask of `text`, letters stretched `stretch` times taller than the font's."""
    font = ImageFont.truetype(str(find_font()), size=200)
    left, top, right, bottom = font.getbbox(text)
    mask = Image.new("L", (right - left + 8, bottom - top + 8), 0)
    ImageDraw.Draw(mask).text((4 - left, 4 - top), text, font=font, fill=255)
    width = max(1, round(mask.width * height_px / mask.height / stretch))
    return mask.resize((width, height_px), Image.Resampling.LANCZOS)


def render_plate(spec: PlateSpec, px_per_mm: float = 2.0) -> BGR:
    """The flat plate, front view, BGR."""
    w_mm, h_mm = SIZE_MM[spec.kind]
    w, h = round(w_mm * px_per_mm), round(h_mm * px_per_mm)
    background, ink = COLOURS[spec.colour]
    img = Image.new("RGB", (w, h), background[::-1])
    draw = ImageDraw.Draw(img)
    border = max(1, round(2.5 * px_per_mm))
    inset = round(5 * px_per_mm)
    draw.rounded_rectangle((inset, inset, w - inset, h - inset), radius=round(6 * px_per_mm),
                           outline=ink[::-1], width=border)
    main_h = round((62 if spec.kind == "car" else 46) * px_per_mm)
    groups = spec.plate.formatted.split(" ")
    line = _text_image("  ".join(groups), main_h, stretch=1.25)
    max_w = w - 2 * round(24 * px_per_mm)
    if line.width > max_w:
        line = line.resize((max_w, main_h), Image.Resampling.LANCZOS)
    top = round((18 if spec.kind == "car" else 14) * px_per_mm)
    img.paste(Image.new("RGB", line.size, ink[::-1]), ((w - line.width) // 2, top), line)
    date = _text_image(spec.expiry, round(20 * px_per_mm), stretch=1.1)
    date_top = top + main_h + round((14 if spec.kind == "car" else 10) * px_per_mm)
    img.paste(Image.new("RGB", date.size, ink[::-1]), ((w - date.width) // 2, date_top), date)
    return np.asarray(img, dtype=np.uint8)[:, :, ::-1].copy()


def plate_quad(centre: tuple[float, float], width: float, aspect: float, rng: np.random.Generator,
               tilt_deg: float, yaw: float) -> npt.NDArray[np.float32]:
    """Corners (tl, tr, br, bl) of a plate seen slightly rotated and from slightly aside."""
    half_w, half_h = width / 2, width / aspect / 2
    corners = np.array([[-half_w, -half_h], [half_w, -half_h], [half_w, half_h], [-half_w, half_h]], np.float64)
    # Seen from aside, the far edge is shorter: scale the two sides differently.
    corners[:, 1] *= 1 + yaw * np.sign(corners[:, 0])
    corners += rng.normal(0, 0.012 * width, corners.shape)
    angle = np.radians(tilt_deg)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (corners @ rot.T + np.asarray(centre)).astype(np.float32)


def paste(image: BGR, plate: BGR, quad: npt.NDArray[np.float32]) -> BGR:
    """Warp the plate onto the image at `quad`, anti-aliased (rendered large, area-averaged)."""
    out = image.copy()
    x0, y0 = np.floor(quad.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int) + 1
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, image.shape[1]), min(y1, image.shape[0])
    if x1 <= x0 or y1 <= y0:
        return out
    h, w = plate.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    over = 4  # supersample: the warp runs at 4x and is averaged down, as a sensor integrates
    local = (quad - np.array([x0, y0], np.float32)) * over
    size = ((x1 - x0) * over, (y1 - y0) * over)
    big = cv2.warpPerspective(plate, cv2.getPerspectiveTransform(src, local), size, flags=cv2.INTER_LINEAR)
    mask = np.zeros((size[1], size[0]), np.float32)
    cv2.fillConvexPoly(mask, np.round(local).astype(np.int32), 1.0)
    small = cv2.resize(big, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA).astype(np.float32)
    alpha = cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)[..., None]
    # `small` holds the plate pre-multiplied by its coverage; add the background's share.
    region = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = np.clip(small + (1 - alpha) * region, 0, 255).astype(np.uint8)
    return out


@dataclass(frozen=True)
class Degradation:
    blur_sigma: float
    motion_px: float
    noise_sigma: float
    gain: float  # < 1: low light
    jpeg_quality: int

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Degradation:
        low_light = rng.random() < 0.25
        return cls(
            blur_sigma=float(rng.uniform(0.3, 1.3)),
            motion_px=float(rng.uniform(0, 4)) if rng.random() < 0.3 else 0.0,
            noise_sigma=float(rng.uniform(1, 7)),
            gain=float(rng.uniform(0.25, 0.55)) if low_light else float(rng.uniform(0.8, 1.1)),
            jpeg_quality=int(rng.integers(35, 91)),
        )


def degrade(image: BGR, d: Degradation, rng: np.random.Generator) -> bytes:
    """Optics, motion, exposure, sensor noise, then JPEG: the bytes a camera would store."""
    out = cv2.GaussianBlur(image.astype(np.float32), (0, 0), d.blur_sigma)
    if d.motion_px >= 1:
        k = max(2, round(d.motion_px))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k  # horizontal streak: vehicles cross the image sideways too
        out = cv2.filter2D(out, -1, kernel)
    # Dusk is darker and flatter; daylight only varies the exposure.
    out = 255.0 * (out / 255.0) ** 1.15 * d.gain if d.gain < 0.8 else out * d.gain
    out += rng.normal(0, d.noise_sigma * (1.6 if d.gain < 0.8 else 1.0), out.shape).astype(np.float32)
    ok, buf = cv2.imencode(".jpg", np.clip(out, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, d.jpeg_quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(buf.tobytes())


@dataclass(frozen=True)
class PlateSpot:
    """Where a sprite carries its plate, in the sprite's own pixels (unflipped).

    `cover` is the photo's own (foreign) plate, painted over with the bumper's colour first;
    `yaw` > 0 when the plate's right side is nearer the camera (a three-quarter view).
    """

    centre: tuple[float, float]
    width: float
    cover: tuple[int, int, int, int] | None
    yaw: float = 0.0


# Measured on calibration/demo/sprites (the plate detector's box, refined by eye).
PLATE_SPOTS: dict[str, PlateSpot] = {
    "car_silver": PlateSpot((194.5, 160.0), 96.0, (149, 134, 241, 186)),
    "bus_red": PlateSpot((95.6, 245.3), 31.0, (81, 239, 111, 252)),
    "car_white": PlateSpot((49.0, 27.5), 8.5, None, 0.1),
}


def load_sprite(folder: Path, name: str) -> npt.NDArray[np.uint8]:
    img = cv2.imread(str(folder / f"{name}.png"), cv2.IMREAD_UNCHANGED)
    if img is None or img.ndim != 3 or img.shape[2] != 4:
        raise FileNotFoundError(f"sprite {name}.png (BGRA) missing in {folder}")
    return np.asarray(img, np.uint8)


@dataclass(frozen=True)
class Pose:
    """How a sprite is shown: its size in pixels (w, h), mirrored or not, the plate's tilt.

    `plate_scale` > 1 draws the plate larger than the vehicle's real one (the demo does, see
    scripts/make_demo.py).
    """

    size: tuple[int, int]
    flip: bool
    plate_scale: float = 1.0
    tilt_deg: float = 0.0


def dress(sprite: npt.NDArray[np.uint8], spot: PlateSpot, plate: BGR, pose: Pose,
          rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """The BGRA sprite at `pose`, wearing `plate`.

    The plate is pasted after resizing, so it is sampled at the final pixel size like a
    camera would, not blurred by the sprite's upscaling.
    """
    size, flip = pose.size, pose.flip
    src = sprite[:, ::-1] if flip else sprite
    sx, sy = size[0] / sprite.shape[1], size[1] / sprite.shape[0]
    shrink = sx < 1
    out = cv2.resize(src, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    cx, cy = spot.centre
    if flip:
        cx = sprite.shape[1] - cx
    if spot.cover is not None:
        x1, y1, x2, y2 = spot.cover
        if flip:
            x1, x2 = sprite.shape[1] - x2, sprite.shape[1] - x1
        box = (round(x1 * sx), round(y1 * sy), round(x2 * sx), round(y2 * sy))
        ring = out[max(0, box[1] - 3) : box[3] + 3, max(0, box[0] - 3) : box[2] + 3, :3].reshape(-1, 3)
        out[box[1] : box[3], box[0] : box[2], :3] = np.median(ring, axis=0).astype(np.uint8)
    aspect = plate.shape[1] / plate.shape[0]
    quad = plate_quad((cx * sx, cy * sy), spot.width * sx * pose.plate_scale, aspect, rng, pose.tilt_deg,
                      -spot.yaw if flip else spot.yaw)
    bgr = paste(np.ascontiguousarray(out[:, :, :3]), plate, quad)
    return np.dstack([bgr, out[:, :, 3]])
