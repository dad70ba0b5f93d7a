"""Run the real pipeline on one rendered scene, as `etle-edge run --no-publish` does, in-process.

In-process rather than a subprocess: the pipeline is built the way `edge.cli.run_command` builds
it (site file in fail-safe mode, default device settings, replay clock, no signing key → unsigned
evidence), which also gives us the run's statistics (the odd-even plate checks) that the command
only prints. Evidence goes to `<scene>/run/`, emptied first so a rerun never scores stale events;
`<scene>/run/summary.json` records what the run did.

The detector's answers are recorded per scene and replayed by later runs with the same clip,
model, detector settings and region (`evaluation.detections`): a rule change re-runs in a
fraction of the time. `replay=False` runs the detector regardless (and records nothing).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from edge.app import start_up
from edge.config.load import load_site
from edge.pipeline import Pipeline, detection_region, site_detector
from edge.settings import load_settings
from edge.sources import open_source
from evaluation.detections import RecordingDetector, recording_for

RUN_DIR = "run"
SUMMARY = "summary.json"


@dataclass(frozen=True, slots=True)
class SceneRun:
    """What one run of a scene did. Times are wall-clock seconds of this machine."""

    seed: int
    frames: int
    elapsed_s: float
    fps: float
    detector_ms: float
    violations: int
    evidence_failures: tuple[str, ...]
    site_faults: tuple[str, ...]  # non-empty: the site file put the box in fail-safe (nothing judged)
    plate_checks: tuple[tuple[str, int], ...]  # odd_even suspects judged by plate: (outcome, count)
    replayed: bool = False  # the detections came from an earlier run's recording
    recording: str | None = None  # the file of this run's detections, in the scene folder (None: not recorded)
    detect_every: int = 1  # the detector ran on frames 0, N, 2N...: the recording's call k is frame kN


def run_dir(scene: Path) -> Path:
    return scene / RUN_DIR


def event_files(scene: Path) -> list[Path]:
    return sorted(run_dir(scene).glob("*/event.json"))


def run_scene(scene: Path, settings: Path | None = None, replay: bool = True) -> SceneRun:
    """Run `scene/clip.mp4` with `scene/site.yaml`, starting at the truth's start time."""
    truth = json.loads((scene / "truth.json").read_text(encoding="utf-8"))
    out = run_dir(scene)
    if out.exists():
        shutil.rmtree(out)
    site = load_site(scene / str(truth.get("site", "site.yaml")), fail_safe=True)
    config = load_settings(settings)
    config = config.with_evidence_dir(out)
    clip = site.resolve_source(str(scene / str(truth.get("clip", "clip.mp4"))))
    source = open_source(clip, site.site.camera.fps, datetime.fromisoformat(str(truth["start_time"])))
    region = detection_region(site, config)
    recorder = RecordingDetector(lambda: site_detector(config, region),
                                 recording_for(scene, Path(clip), region, config)) if replay else None
    pipeline = Pipeline(site, config, source, start_up(site, config, source), None, recorder)
    stats = pipeline.run()
    if recorder is not None:
        recorder.save()
    result = SceneRun(
        seed=int(truth["seed"]), frames=stats.frames, elapsed_s=round(stats.elapsed_s, 2), fps=round(stats.fps, 2),
        detector_ms=round(stats.detector_ms, 1), violations=stats.violations,
        evidence_failures=tuple(stats.evidence_failures), site_faults=tuple(str(f) for f in site.faults),
        plate_checks=tuple(sorted(stats.plate_checks.items())),
        replayed=recorder is not None and recorder.replaying,
        recording=recorder.path.name if recorder is not None else None, detect_every=config.detect_every)
    out.mkdir(parents=True, exist_ok=True)
    (out / SUMMARY).write_text(json.dumps(asdict(result), indent=1) + "\n", encoding="utf-8")
    return result


def read_run(scene: Path) -> SceneRun | None:
    """The summary a previous `run_scene` left, or None when the scene has not been run."""
    path = run_dir(scene) / SUMMARY
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return SceneRun(
        seed=int(data["seed"]), frames=int(data["frames"]), elapsed_s=float(data["elapsed_s"]),
        fps=float(data["fps"]), detector_ms=float(data["detector_ms"]), violations=int(data["violations"]),
        evidence_failures=tuple(data["evidence_failures"]), site_faults=tuple(data["site_faults"]),
        plate_checks=tuple((str(k), int(n)) for k, n in data["plate_checks"]),
        replayed=bool(data.get("replayed", False)), recording=data.get("recording"),
        detect_every=int(data.get("detect_every", 1)))
