#!/usr/bin/env python3
"""Render the plate test set: Indonesian plates on vehicle photos, five frames per plate.

    python scripts/make_plates.py [--out build/plates] [--count 400] [--seed 6] [--tune 100]

Each plate is a random valid TNKB plate (any region code; both the pre-2022 black and the 2022
white style, and yellow, red, green and diplomatic plates) on one of the demo's vehicle
photos (calibration/demo/sprites; see PROVENANCE.md there), seen in five frames as the
vehicle approaches: the plate grows from 80–160 px wide by 7 % a frame, with a slight tilt
and three-quarter view, optical and motion blur, sensor noise, low light (a quarter of the
plates) and JPEG compression. Each image is the vehicle crop the tracker would give.

Plates 0..tune-1 are the tuning split; the rest is the evaluation split, which tuning never
reads. Plate i depends only on (seed, i), so the set is the same on every machine with the
same OpenCV/Pillow builds and font; `labels.json` records the truth, `manifest.json` the
parameters (scripts/eval_plates.py regenerates the set when they differ).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from plate_synth import PLATE_SPOTS, Degradation, Pose, degrade, dress, load_sprite, random_plate, render_plate

ROOT = Path(__file__).resolve().parent.parent
SPRITES = ROOT / "calibration" / "demo" / "sprites"
GENERATOR = "make_plates/1"
FRAMES = 5
GROWTH = 0.07  # plate width added per frame, as a fraction of the first frame's
VEHICLES = ("car_silver", "bus_red", "car_white")
VEHICLE_P = (0.5, 0.3, 0.2)


def _background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Asphalt: a grey level with coarse blotches, the road a crop's margin shows."""
    grey = rng.uniform(60, 140)
    blotch = cv2.resize(rng.normal(0, 8, (max(2, height // 40), max(2, width // 40))).astype(np.float32),
                        (width, height), interpolation=cv2.INTER_CUBIC)
    base = np.clip(grey + blotch, 0, 255)[..., None] * np.array([1.02, 1.0, 0.97], np.float32)
    return np.clip(base, 0, 255).astype(np.uint8)


def render_frames(index: int, seed: int, sprites: dict[str, np.ndarray]) -> tuple[dict[str, object], list[bytes]]:
    rng = np.random.default_rng([seed, index])
    spec = random_plate(rng)
    plate = render_plate(spec)
    vehicle = str(rng.choice(VEHICLES, p=VEHICLE_P))
    spot = PLATE_SPOTS[vehicle]
    flip = bool(rng.random() < 0.5)
    width0 = float(rng.uniform(80, 160))
    tilt = float(rng.normal(0, 2.5))
    base = Degradation.sample(rng)
    frames, widths = [], []
    for k in range(FRAMES):
        width = width0 * (1 + GROWTH * k)
        scale = width / spot.width
        sprite = sprites[vehicle]
        size = (round(sprite.shape[1] * scale), round(sprite.shape[0] * scale))
        dressed = dress(sprite, spot, plate, Pose(size, flip, 1.0, tilt + float(rng.normal(0, 0.5))), rng)
        # The crop a tracker's box gives: the vehicle, or for a big one the part around its plate.
        cx = (sprite.shape[1] - spot.centre[0] if flip else spot.centre[0]) * scale
        cy = spot.centre[1] * scale
        win_w, win_h = min(size[0], round(4.5 * width)), min(size[1], round(3.2 * width))
        left = int(np.clip(cx - win_w * rng.uniform(0.35, 0.65), 0, size[0] - win_w))
        top = int(np.clip(cy - win_h * rng.uniform(0.5, 0.8), 0, size[1] - win_h))
        margin = round(0.1 * win_w)
        canvas = _background(rng, win_h + 2 * margin, win_w + 2 * margin)
        part = dressed[top : top + win_h, left : left + win_w].astype(np.float32)
        alpha = part[:, :, 3:] / 255.0
        region = canvas[margin : margin + win_h, margin : margin + win_w].astype(np.float32)
        blended = alpha * part[:, :, :3] + (1 - alpha) * region
        canvas[margin : margin + win_h, margin : margin + win_w] = blended.astype(np.uint8)
        frame_d = replace(base, blur_sigma=base.blur_sigma * float(rng.uniform(0.8, 1.2)),
                          noise_sigma=base.noise_sigma * float(rng.uniform(0.8, 1.2)),
                          jpeg_quality=int(rng.integers(35, 91)))
        frames.append(degrade(canvas, frame_d, rng))
        widths.append(round(width, 1))
    label: dict[str, object] = {
        "id": index,
        "text": spec.plate.text,
        "formatted": spec.plate.formatted,
        "colour": spec.colour,
        "kind": spec.kind,
        "vehicle": vehicle,
        "low_light": base.gain < 0.8,
        "plate_width_px": widths,
        "files": [f"{index:04d}_{k}.jpg" for k in range(FRAMES)],
    }
    return label, frames


def manifest(count: int, seed: int, tune: int) -> dict[str, object]:
    return {"generator": GENERATOR, "count": count, "seed": seed, "tune": tune, "frames": FRAMES}


def generate(out: Path, count: int, seed: int, tune: int) -> list[dict[str, object]]:
    out.mkdir(parents=True, exist_ok=True)
    sprites = {name: load_sprite(SPRITES, name) for name in VEHICLES}
    labels = []
    for index in range(count):
        label, frames = render_frames(index, seed, sprites)
        label["split"] = "tune" if index < tune else "eval"
        for name, data in zip(label["files"], frames, strict=True):  # type: ignore[call-overload]
            (out / name).write_bytes(data)
        labels.append(label)
    (out / "labels.json").write_text(json.dumps(labels, indent=1) + "\n")
    (out / "manifest.json").write_text(json.dumps(manifest(count, seed, tune), indent=1) + "\n")
    return labels


def ensure(out: Path, count: int, seed: int, tune: int) -> list[dict[str, object]]:
    """The set at `out`, regenerated unless it was made with these very parameters."""
    stamp = out / "manifest.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == manifest(count, seed, tune):
        loaded: list[dict[str, object]] = json.loads((out / "labels.json").read_text())
        return loaded
    print(f"rendering {count} plates x {FRAMES} frames into {out} ...", file=sys.stderr)
    return generate(out, count, seed, tune)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "plates")
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--tune", type=int, default=100, help="plates in the tuning split (the first ones)")
    args = parser.parse_args(argv)
    labels = generate(args.out, args.count, args.seed, args.tune)
    print(f"wrote {len(labels)} plates x {FRAMES} frames to {args.out}")


if __name__ == "__main__":
    main()
