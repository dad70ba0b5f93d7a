"""Rendered plates and vehicles for the plate tests (scripts/plate_synth.py, real font)."""

from __future__ import annotations

import numpy as np
import pytest

from edge.plates.indonesia import PlateColour, parse
from scripts.plate_synth import PLATE_SPOTS, PlateSpec, Pose, dress, load_sprite, paste, plate_quad, render_plate
from tests.conftest import DEMO


def plate_spec(text: str, colour: PlateColour = "white") -> PlateSpec:
    plate = parse(text)
    assert plate is not None, text
    return PlateSpec(plate, colour, "08.27")


def plate_image(text: str, colour: PlateColour = "white", width: float = 130.0) -> np.ndarray:
    """A plate crop as the detector would cut it: the plate with a margin of grey bumper."""
    plate = render_plate(plate_spec(text, colour))
    aspect = plate.shape[1] / plate.shape[0]
    canvas = np.full((round(width / aspect * 1.4), round(width * 1.15), 3), 120, np.uint8)
    quad = plate_quad((canvas.shape[1] / 2, canvas.shape[0] / 2), width, aspect, np.random.default_rng(0), 0, 0)
    return paste(canvas, plate, quad)


def street_frame(text: str, colour: PlateColour, car_width: int, x0: int = 500, y0: int = 300,
                 size: tuple[int, int] = (1280, 720)) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A frame with the demo's silver car wearing `text`, and the car's box."""
    sprite = load_sprite(DEMO / "sprites", "car_silver")
    height = round(car_width * sprite.shape[0] / sprite.shape[1])
    plate = render_plate(plate_spec(text, colour), px_per_mm=3.0)
    car = dress(sprite, PLATE_SPOTS["car_silver"], plate, Pose((car_width, height), False), np.random.default_rng(1))
    frame = np.full((size[1], size[0], 3), 95, np.uint8)
    alpha = car[:, :, 3:] / 255.0
    region = frame[y0 : y0 + height, x0 : x0 + car_width]
    frame[y0 : y0 + height, x0 : x0 + car_width] = (alpha * car[:, :, :3] + (1 - alpha) * region).astype(np.uint8)
    return frame, (float(x0), float(y0), float(x0 + car_width), float(y0 + height))


@pytest.fixture(scope="session")
def plates_for_ocr() -> list[tuple[str, np.ndarray]]:
    """Both styles and every colour, clean crops 130 px wide."""
    return [(text.replace(" ", ""), plate_image(text, colour)) for text, colour in [
        ("B 1234 XYZ", "black"), ("BK 4321 AB", "white"), ("DD 77 C", "yellow"),
        ("AD 1 A", "red"), ("DK 999", "green"), ("L 8687 W", "white")]]
