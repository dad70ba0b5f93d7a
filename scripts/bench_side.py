"""Issue 13's side-by-side: one clip through a bare detector loop, through our pipeline, and through
ultralytics' `track()` on the same YOLO ONNX; and several cameras served at once.

Clips: the bundled demo, and two scenes of the evaluation split rendered on first use into
build/bench/scenes (5001: 1280x720 wide view; 5002: 1920x1080 enforcement view, odd-even active).
Every figure that matters is a ratio of two runs made in this process, on this machine, one after
the other: the absolute fps depend on what else the machine does.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edge.app import start_up
from edge.config.load import LoadedSite, load_site
from edge.core import FrameMeasure
from edge.detect.config import YoloConfig
from edge.paths import PROJECT_ROOT
from edge.pipeline import Pipeline, PipelineHooks, RunStats, detection_region, site_detector
from edge.settings import DeviceSettings
from edge.sources import Frame, open_source
from evaluation.render import render_scene

SCENES = PROJECT_ROOT / "build" / "bench" / "scenes"
EVAL_SCENES = ((5001, "eval-5001-720p"), (5002, "eval-5002-1080p-odd-even"))
YOLO_MODEL = PROJECT_ROOT / "models" / "license_plate_detector.onnx"
TARGET_FPS = 10.0


@dataclass(frozen=True, slots=True)
class Clip:
    name: str
    site: Path


def clips() -> list[Clip]:
    """The demo and the evaluation scenes, rendering a scene the first time it is asked for."""
    found = [Clip("demo", PROJECT_ROOT / "calibration" / "demo" / "site.yaml")]
    for seed, name in EVAL_SCENES:
        folder = SCENES / "eval" / str(seed)
        if not (folder / "site.yaml").exists():
            print(f"rendering evaluation scene {seed} into {folder} (once)", flush=True)
            render_scene(seed, "eval", SCENES)
        found.append(Clip(name, folder / "site.yaml"))
    return found


def with_yolo(settings: DeviceSettings) -> DeviceSettings:
    """The settings with the bundled YOLOv8n graph as the vehicle detector. It is the plate model
    (the project ships no vehicle YOLO): its one class is read as "car", so both sides run the same
    graph and track the same boxes; a speed comparison, not a detector."""
    detector = YoloConfig(model=YOLO_MODEL, labels={0: "car"})
    return settings.model_copy(update={"detector": detector})


def without_privacy(settings: DeviceSettings) -> DeviceSettings:
    privacy = settings.evidence.privacy.model_copy(update={"enabled": False})
    return settings.model_copy(update={"evidence": settings.evidence.model_copy(update={"privacy": privacy})})


def bare_fps(site: LoadedSite, settings: DeviceSettings, frames: int) -> float:
    """Decode and detect on the site's detection region, nothing else: what the detector costs."""
    detector = site_detector(settings, detection_region(site, settings))
    source = open_source(site.resolve_source(), site.site.camera.fps, site.site.camera.start_time)
    done, started = 0, 0.0
    for frame in source.frames():
        if done == 0:
            detector.detect(frame.image)  # warm-up: the first ORT run allocates
            started = time.perf_counter()
        detector.detect(frame.image)
        done += 1
        if done >= frames:
            break
    return done / (time.perf_counter() - started)


def pipeline_run(site: LoadedSite, settings: DeviceSettings, frames: int,
                 measures: list[FrameMeasure] | None = None, on_frame: Callable[[Frame], None] | None = None,
                 evidence: Path | None = None) -> RunStats:
    """The whole pipeline, evidence written to `evidence` (None: a temporary folder) and waited for
    (`run` flushes); `measures` collects each frame's FrameMeasure, `on_frame` sees each frame."""
    if evidence is None:
        with tempfile.TemporaryDirectory() as tmp:
            return pipeline_run(site, settings, frames, measures, on_frame, Path(tmp))
    run_settings = settings.with_evidence_dir(evidence)
    source = open_source(site.resolve_source(), site.site.camera.fps, site.site.camera.start_time)
    pipeline = Pipeline(site, run_settings, source, start_up(site, run_settings, source))
    if measures is not None:
        pipeline.attach(PipelineHooks(measured=measures.append))
    return pipeline.run(frames, on_frame=on_frame)


def ultralytics_fps(clip: Path, frames: int) -> float | None:
    """ultralytics' `YOLO(onnx).track(stream=True)` with its ByteTrack on the same graph; None when
    the `ultralytics` extra is not installed."""
    os.environ.setdefault("YOLO_OFFLINE", "1")  # it must not look for updates or weights
    try:
        from ultralytics import YOLO  # type: ignore[attr-defined]  # noqa: PLC0415 - optional extra; imports torch
    except ImportError:
        return None
    model = YOLO(str(YOLO_MODEL), task="detect")
    done, started = 0, 0.0
    for _ in model.track(source=str(clip), stream=True, imgsz=640, verbose=False, tracker="bytetrack.yaml"):
        done += 1
        if done == 1:  # the first result carries the session's start-up
            started = time.perf_counter()
        if done > frames:
            break
    return (done - 1) / (time.perf_counter() - started)


def side_by_side(clip: Clip, settings: DeviceSettings, frames: int) -> dict[str, object]:
    site = load_site(clip.site)
    bare = bare_fps(site, settings, frames)
    full = pipeline_run(site, settings, frames)
    plain = pipeline_run(site, without_privacy(settings), frames)
    yolo_settings = with_yolo(settings)
    ours_yolo = pipeline_run(site, yolo_settings, frames)
    bare_yolo = bare_fps(site, yolo_settings, frames)
    theirs = ultralytics_fps(Path(site.resolve_source()), frames)
    res = site.site.camera.resolution
    return {
        "clip": clip.name, "resolution": f"{res[0]}x{res[1]}", "frames": full.frames,
        "violations": full.violations, "plate_checks": dict(full.plate_checks),
        "fps": {"bare_centernet": round(bare, 2), "pipeline": round(full.fps, 2),
                "pipeline_no_redaction": round(plain.fps, 2), "bare_yolo": round(bare_yolo, 2),
                "pipeline_yolo": round(ours_yolo.fps, 2),
                "ultralytics_track_yolo": None if theirs is None else round(theirs, 2)},
        "pipeline_vs_bare": round(full.fps / bare, 3),
        "pipeline_no_redaction_vs_bare": round(plain.fps / bare, 3),
        "pipeline_vs_ultralytics": None if theirs is None else round(ours_yolo.fps / theirs, 3),
    }


def cameras_at(clip: Clip, settings: DeviceSettings, frames: int, most: int = 4) -> dict[str, object]:
    """Cameras served at once by one process, one pipeline thread each (each its own detector
    session): the most that all keep `TARGET_FPS` processed frames a second, and each run's fps."""
    site = load_site(clip.site)
    runs: dict[int, list[float]] = {}
    best = 0
    for count in range(1, most + 1):
        stats: list[RunStats] = []

        def serve(into: list[RunStats] = stats) -> None:
            into.append(pipeline_run(site, settings, frames))

        threads = [threading.Thread(target=serve) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        runs[count] = sorted(round(s.fps, 2) for s in stats)
        if min(runs[count]) < TARGET_FPS:
            break
        best = count
    return {"clip": clip.name, "target_fps": TARGET_FPS, "cameras": best,
            "fps_per_camera": {str(k): v for k, v in runs.items()}}


def side_results(settings: DeviceSettings, frames: int) -> dict[str, object]:
    """Every side-by-side figure, with issue 13's top-level keys: P1 `pipeline_vs_bare` (target
    >= 0.9 on every clip), P2 `pipeline_vs_ultralytics` (>= 2.0), P7 `cameras_at_10fps` (>= 3 of 720p)."""
    shown = clips()
    rows = [side_by_side(clip, settings, frames) for clip in shown]
    cameras = cameras_at(shown[1], settings, frames // 2)
    return {
        "side_by_side": rows,
        "pipeline_vs_bare": {str(r["clip"]): r["pipeline_vs_bare"] for r in rows},
        "pipeline_vs_ultralytics": {str(r["clip"]): r["pipeline_vs_ultralytics"] for r in rows},
        "cameras_at_10fps": cameras["cameras"],
        "cameras": cameras,
        "table": markdown(rows),
    }


def markdown(rows: list[dict[str, object]]) -> str:
    """The side-by-side as a BENCHMARKS.md table."""
    lines = ["| clip | bare CenterNet | pipeline | without redaction | pipeline ÷ bare | bare YOLO | "
             "pipeline, YOLO | ultralytics track, YOLO | ours ÷ ultralytics | violations |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        fps = row["fps"]
        assert isinstance(fps, dict)
        lines.append(f"| {row['clip']} ({row['resolution']}) | {fps['bare_centernet']} | {fps['pipeline']} | "
                     f"{fps['pipeline_no_redaction']} | **{row['pipeline_vs_bare']}** | {fps['bare_yolo']} | "
                     f"{fps['pipeline_yolo']} | {fps['ultralytics_track_yolo']} | "
                     f"**{row['pipeline_vs_ultralytics']}** | {row['violations']} |")
    return "\n".join(lines)
