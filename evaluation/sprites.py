"""Real vehicle photos cut into sprites for the scene generator.

`sprites/index.json` lists every sprite with the real size of the face it shows, where its
number plate is, and its licence and source (the long form is `sprites/PROVENANCE.md`).
The generator textures a cuboid's front or rear face with `Sprite.image`, so the image must
span exactly `face_width_m` × `face_height_m` of the vehicle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, get_args

import cv2
import numpy as np
from numpy.typing import NDArray

VehicleClass = Literal["car", "motorcycle", "bus", "truck", "pickup"]
View = Literal["front", "rear", "side"]  # "side": only the flagged legacy demo motorcycle

SPRITES_DIR = Path(__file__).resolve().parent / "sprites"
UNCLEAR = "unclear"  # a licence field starting with this marks a sprite to be replaced


class SpriteError(ValueError):
    """index.json or a sprite file is wrong; fix the entry named in the message."""


@dataclass(frozen=True)
class Sprite:
    """One cut-out: BGRA pixels (alpha = the vehicle's silhouette) and what they show."""

    name: str
    vehicle_class: VehicleClass
    view: View
    image: NDArray[np.uint8]
    face_width_m: float
    face_height_m: float
    plate_box: tuple[float, float, float, float] | None  # x0, y0, x1, y1 as fractions of the image
    licence: str
    source: str

    @property
    def licence_clear(self) -> bool:
        return not self.licence.lower().startswith(UNCLEAR)


def _entry_str(entry: dict[str, object], key: str, name: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise SpriteError(f"sprite {name!r}: {key!r} must be a non-empty string")
    return value


def _entry_float(entry: dict[str, object], key: str, name: str) -> float:
    value = entry.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise SpriteError(f"sprite {name!r}: {key!r} must be a positive number")
    return float(value)


def _plate_box(entry: dict[str, object], name: str) -> tuple[float, float, float, float] | None:
    box = entry.get("plate_box")
    if box is None:
        return None
    if not isinstance(box, list) or len(box) != 4 or not all(isinstance(v, (int, float)) for v in box):
        raise SpriteError(f"sprite {name!r}: plate_box must be null or [x0, y0, x1, y1] fractions")
    x0, y0, x1, y1 = (float(v) for v in box)
    if not (0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1):
        raise SpriteError(f"sprite {name!r}: plate_box {box} is not inside [0, 1] with x0 < x1, y0 < y1")
    return x0, y0, x1, y1


def _read_image(path: Path, name: str) -> NDArray[np.uint8]:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None or image.ndim != 3 or image.shape[2] != 4 or image.dtype != np.uint8:
        raise SpriteError(f"sprite {name!r}: {path.name} is missing or not an 8-bit BGRA PNG")
    return np.asarray(image, np.uint8)


def _sprite(entry: dict[str, object], folder: Path) -> Sprite:
    name = _entry_str(entry, "name", "?")
    vehicle_class = _entry_str(entry, "class", name)
    if vehicle_class not in get_args(VehicleClass):
        raise SpriteError(f"sprite {name!r}: class {vehicle_class!r} is not one of {get_args(VehicleClass)}")
    view = _entry_str(entry, "view", name)
    if view not in get_args(View):
        raise SpriteError(f"sprite {name!r}: view {view!r} is not one of {get_args(View)}")
    path = folder / _entry_str(entry, "file", name)
    return Sprite(
        name=name,
        vehicle_class=cast(VehicleClass, vehicle_class),
        view=cast(View, view),
        image=_read_image(path, name),
        face_width_m=_entry_float(entry, "face_width_m", name),
        face_height_m=_entry_float(entry, "face_height_m", name),
        plate_box=_plate_box(entry, name),
        licence=_entry_str(entry, "licence", name),
        source=_entry_str(entry, "source", name),
    )


def read_index(folder: Path | None = None) -> list[dict[str, object]]:
    """The raw entries of `index.json` (for tests and tools; the generator wants `load_sprites`)."""
    path = (folder or SPRITES_DIR) / "index.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SpriteError(f"{path}: cannot read the sprite index ({exc})") from exc
    entries = data.get("sprites") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SpriteError(f"{path}: expected {{\"sprites\": [{{...}}, ...]}}")
    return cast(list[dict[str, object]], entries)


def load_sprites(folder: Path | None = None) -> list[Sprite]:
    """Every sprite listed in `<folder>/index.json` (default: the bundled `evaluation/sprites/`)."""
    folder = folder or SPRITES_DIR
    sprites = [_sprite(entry, folder) for entry in read_index(folder)]
    names = [s.name for s in sprites]
    if len(set(names)) != len(names):
        raise SpriteError(f"{folder / 'index.json'}: sprite names repeat: {sorted(names)}")
    return sprites
