"""Render scenes: frames -> clip.mp4, site.yaml, truth.json under <out>/<split>/<seed>/."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from evaluation.draw import Finish, draw_signal, draw_vehicle, hull
from evaluation.ground import render_background
from evaluation.scene import Setting, draw_setting
from evaluation.schedule import Placed, schedule
from evaluation.sitefile import site_yaml
from evaluation.splits import seeds_of
from evaluation.truth import PlateSpec, compact_json, make_plate, truth_dict
from evaluation.vehicles import Pose, TextureBank

F64 = npt.NDArray[np.float64]


@cache
def bank() -> TextureBank:
    return TextureBank()


def _plates(st: Setting, placed: list[Placed]) -> dict[str, PlateSpec | None]:
    rng = np.random.default_rng([st.seed, 11])
    return {p.id: make_plate(rng, p, st) for p in placed}


def _plate_images(placed: list[Placed], plates: dict[str, PlateSpec | None]) -> dict[str, npt.NDArray[np.uint8]]:
    from plate_synth import render_plate  # type: ignore[import-not-found]  # noqa: PLC0415 (truth.py: scripts/ on the path)

    out = {}
    for p in placed:
        spec = plates[p.id]
        if spec is None or not (p.track.plate_px > 0).any():
            continue
        # drawn at least 1.5x its largest on-screen size, so the warp only ever shrinks it
        mm = 430.0 if spec.kind == "car" else 275.0
        out[p.id] = render_plate(spec, px_per_mm=float(np.clip(1.5 * p.track.plate_px.max() / mm, 1.0, 4.0)))
    return out


def _open_writer(path: Path, st: Setting) -> cv2.VideoWriter:
    """mp4v at OpenCV's default rate (~4 Mbit/s at 1080p; its quality knob is ignored): plates read exactly."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), st.fps, (st.cam.width, st.cam.height))
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write mp4v; is opencv-python built with FFmpeg?")
    return writer


def render_frames(st: Setting, placed: list[Placed], plates: dict[str, PlateSpec | None], path: Path,
                  frames: int | None = None) -> dict[str, F64]:
    """Write the clip; return each vehicle's visible fraction per frame (0 where out of view)."""
    rng = np.random.default_rng([st.seed, 5])
    background = render_background(st.cam, st.lay, rng)
    finish = Finish(st.lighting, st.cam.width, st.cam.height, rng)
    glare = float(rng.uniform(0.4, 1.0)) if st.lighting == "day" and rng.random() < 0.5 else 0.0
    # the light falls on everything but the lamps: tone the static parts once, not every frame
    background = finish.tone(background)
    images = {k: finish.tone(v) for k, v in _plate_images(placed, plates).items()}
    textures = {n: replace(t, levels=tuple(finish.tone(lv) for lv in t.levels)) for n, t in bank().textures.items()}
    bodies = {p.id: replace(p.plan.body, colour=finish.tone_colour(p.plan.body.colour)) for p in placed}
    n = st.frames if frames is None else min(frames, st.frames)
    visible = {p.id: np.zeros(st.frames) for p in placed}
    centre = st.cam.centre
    writer = _open_writer(path, st)
    try:
        for f in range(n):
            img = background.copy()
            owner = np.full((st.cam.height // 2, st.cam.width // 2), -1, np.int16)  # half size: shares only
            live = [p for p in placed if p.track.box_w[f] > 0]
            live.sort(key=lambda p: -float(np.hypot(p.track.xs[f] - centre[0], p.track.ys[f] - centre[1])))
            areas: dict[int, float] = {}
            for k, p in enumerate(live):
                pose = Pose(float(p.track.xs[f]), float(p.track.ys[f]), float(p.headings[f, 0]),
                            float(p.headings[f, 1]))
                shows_plate = p.track.plate_px[f] >= 3.0
                draw_vehicle(img, st.cam, bodies[p.id], pose, textures[p.plan.body.sprite],
                             images.get(p.id) if shows_plate else None)
                h = hull(st.cam, p.plan.body, pose)
                if h is not None:
                    cv2.fillConvexPoly(owner, h // 2, k)
                    areas[k] = max(1.0, float(cv2.contourArea(h)) / 4)
            counts = np.bincount((owner + 1).ravel(), minlength=len(live) + 1)
            for k, p in enumerate(live):
                visible[p.id][f] = min(1.0, counts[k + 1] / areas[k]) if k in areas else 0.0
            draw_signal(img, st.cam, st.lay, st.signals.state_at(f), glare)
            writer.write(finish.apply(img, f))
    finally:
        writer.release()
    return visible


def plan_scene(seed: int, split: str) -> tuple[Setting, list[Placed], dict[str, PlateSpec | None]]:
    """Everything about a scene but its pixels: setting, traffic with charges, plates."""
    st = draw_setting(seed, split)
    placed = schedule(st, bank())
    return st, placed, _plates(st, placed)


def render_scene(seed: int, split: str, out: Path) -> Path:
    """Render one scene; return its folder."""
    st, placed, plates = plan_scene(seed, split)
    folder = out / split / str(seed)
    folder.mkdir(parents=True, exist_ok=True)
    visible = render_frames(st, placed, plates, folder / "clip.mp4")
    (folder / "site.yaml").write_text(site_yaml(st))
    (folder / "truth.json").write_text(compact_json(truth_dict(st, placed, plates, visible)))
    return folder


def render_split(split: str, out: Path, seeds: list[int] | None = None) -> list[Path]:
    folders = []
    for seed in seeds if seeds is not None else seeds_of(split):
        folders.append(render_scene(seed, split, out))
        print(f"rendered {folders[-1]}", flush=True)
    return folders
