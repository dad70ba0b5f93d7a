"""Wiring only: frame source → detector → tracker → signal readers → rules → evidence.

Each stage decides; the pipeline hands one stage's output to the next, and charges each act
in one place (`_charge`: counted, then admitted against the disk budget), whether the rules
found it on a frame or a suspect's plate confirmed it later.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from edge.config.load import LoadedSite
from edge.core import FrameMeasure, SignalState, Violation
from edge.detect.base import Detector
from edge.detect.build import build_detector
from edge.detect.cadence import Cadence
from edge.detect.region import Region, RegionDetector, region_of
from edge.detect.signal_controller import ControllerSignalReader
from edge.detect.signals import SiteSignals
from edge.evidence.event import EventContext
from edge.evidence.redaction import Finder
from edge.evidence.schedule import EvidenceScheduler
from edge.evidence.worker import PlateStage
from edge.evidence.writer import EvidenceRecord
from edge.footprint import Footprint
from edge.ledger.seal import Sealer
from edge.plates.reader import PlateOutcome
from edge.rules.engine import RuleEngine
from edge.rules.odd_even import Dismissed
from edge.rules.scene import Scene
from edge.settings import DeviceSettings
from edge.sources import Frame, FrameSource, ImageFolderSource, VideoFileSource
from edge.tamper.reference import anchor_points, load_reference
from edge.tamper.watch import NO_REFERENCE, ViewState, ViewWatch
from edge.track.tracker import VehicleTracker

RECENT_KEPT = 50  # evidence records a run keeps for its summary; the rest are only counted


@dataclass
class RunStats:
    """What a run did, for the summary and the benchmark, in bounded memory however long it runs.
    Times are wall-clock seconds."""

    frames: int = 0
    detector_calls: int = 0
    detector_s: float = 0.0
    elapsed_s: float = 0.0
    violations: int = 0  # acts charged: stored, or shed by the disk budget (each declared in a signed gap)
    stored: Counter[str] = field(default_factory=Counter)  # evidence folders written, by kind
    recent: deque[EvidenceRecord] = field(default_factory=lambda: deque(maxlen=RECENT_KEPT))
    evidence_failures: tuple[str, ...] = ()  # distinct write failures, newest last (at most FAILURES_KEPT)
    evidence_failure_count: int = 0
    # odd_even suspects judged by their plate: "confirmed" (counted in `violations`) or why not.
    plate_checks: Counter[str] = field(default_factory=Counter)

    @property
    def fps(self) -> float:
        return self.frames / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def detector_ms(self) -> float:
        return 1000.0 * self.detector_s / self.detector_calls if self.detector_calls else 0.0


def _ignore(*_args: object) -> None:
    return None


def admit_all(_violation: Violation) -> bool:
    """The admission gate when nothing limits storage (no delivery, no disk budget)."""
    return True


@dataclass(frozen=True, slots=True)
class PipelineHooks:
    """Where delivery (edge.delivery) plugs in; without hooks the pipeline runs exactly as before.
    Each hook runs on the pipeline thread and must not wait for the network."""

    admit: Callable[[Violation], bool] = admit_all  # False: not stored (disk budget; declared in a signed gap)
    stored: Callable[[EvidenceRecord], None] = _ignore  # an evidence folder is durable on disk: queue it
    # Once per frame, for the device status: the signals, the view's faults (`view_faults`), judging or not.
    observed: Callable[[Mapping[str, SignalState], tuple[str, ...], bool], None] = _ignore
    measured: Callable[[FrameMeasure], None] = _ignore  # once per frame, for the metrics (edge.metrics)


def view_faults(view: ViewState) -> tuple[str, ...]:
    """The view's trouble as the device status words it: fail-safe; a fault not yet lasting long enough
    (judged on unless the frame is untrusted); or a watch that cannot check shift and blur."""
    if view.fail_safe:
        return tuple(f"fail-safe, no violation is judged: view: {f}" for f in view.faults) or tuple(
            f"fail-safe, no violation is judged: view: {n}" for n in view.notes)
    standing = tuple(f"view: {n}" for n in view.notes if n == NO_REFERENCE)
    until = "not judged while it lasts" if view.untrusted else "fail-safe if it lasts"
    return (*(f"view: {f} ({until})" for f in view.faults), *standing)


class Stopwatch:
    """Laps of one frame's stages: (stage, seconds since the previous lap); a stage met twice adds up."""

    def __init__(self, started: float) -> None:
        self._last = started
        self._laps: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self._laps[stage] = self._laps.get(stage, 0.0) + now - self._last
        self._last = now

    def laps(self) -> tuple[tuple[str, float], ...]:
        return tuple(self._laps.items())


@dataclass(frozen=True, slots=True)
class StartUp:
    """What start-up made once for the run (`edge.app.start_up`): the event context (models and
    their hashes, software version, clock) and the plate reader (None: reading is off)."""

    context: EventContext
    plates: PlateStage | None
    redactor: Finder | None = None  # the privacy detectors (None: no redacted copies)


def detection_region(site: LoadedSite, settings: DeviceSettings) -> Region:
    resolution = site.site.camera.resolution
    if settings.detect_region == "frame":
        return Region.frame(resolution)
    return region_of(site.site.calibration, resolution)


def site_detector(settings: DeviceSettings, region: Region) -> Detector:
    """The configured detector, looking at the site's detection region (`detection_region`)."""
    return RegionDetector(build_detector(settings.detector), region)


class Pipeline:
    def __init__(
        self, site: LoadedSite, settings: DeviceSettings, source: FrameSource, start: StartUp,
        sealer: Sealer | None = None, detector: Detector | None = None,
    ) -> None:
        """`detector`: in place of `site_detector` on the site's region (the evaluation replays recorded
        detections through it); it must answer as that one would, in frame pixels."""
        cam, calibration = site.site.camera, site.site.calibration
        self._settings = settings
        self._source = source
        region = detection_region(site, settings)
        self._cadence = Cadence(detector if detector is not None else site_detector(settings, region),
                                settings.detect_every)
        footprint = Footprint.of(calibration.ground_plane(), cam.resolution,
                                 [(lane.polygon, lane.direction) for lane in calibration.lanes],
                                 settings.tracker.footprint, (region.x0, region.y0, region.x1, region.y1))
        self._tracker = VehicleTracker(settings.tracker, cam.fps / settings.detect_every, footprint)
        # Fail-safe (a site file with faults): detect and track, but judge nothing.
        self._engine = None if site.faults else RuleEngine(
            Scene.of(calibration, site.site.site.timezone, site.site.site.holidays), settings.rules)
        self._signals = SiteSignals(calibration.signals, settings.signal_vision, settings.signal_controller)
        self._watch = ViewWatch(load_reference(site.path, calibration.version), settings.tamper,
                                anchor_points(calibration))
        self._evidence = EvidenceScheduler(start.context, settings.evidence, cam.fps, sealer, start.plates,
                                           self._settle)
        if start.redactor is not None:
            self._evidence.redact_with(start.redactor)
        self._hooks = PipelineHooks()
        self._stats = RunStats()
        self._live = not isinstance(source, (VideoFileSource, ImageFolderSource))  # capture time is the wall clock
        self._charged: list[str] = []  # what this frame did, for its FrameMeasure
        self._dismissed: list[str] = []
        self._stored: list[str] = []

    @property
    def controller(self) -> ControllerSignalReader | None:
        """Where delivery feeds the traffic controller's phase messages; None: every signal is vision."""
        return self._signals.controller

    def attach(self, hooks: PipelineHooks) -> None:
        self._hooks = hooks

    @property
    def source(self) -> FrameSource:
        return self._source

    @property
    def evidence_dir(self) -> Path:
        return self._settings.evidence.directory

    def _charge(self, violation: Violation) -> bool:
        """An act charged: counted, then admitted (False: shed by the disk budget, declared in a gap)."""
        self._stats.violations += 1
        self._charged.append(violation.kind)
        return self._hooks.admit(violation)

    def _settle(self, suspect: Violation, outcome: PlateOutcome | None) -> Violation | None:
        """A suspect whose plate is read: the rules' verdict, then charged like any act."""
        if self._engine is None:  # fail-safe finds no suspects; nothing to judge them with either
            return None
        verdict = self._engine.confirm(suspect, outcome.judgeable() if outcome is not None else "plate reading is off")
        if isinstance(verdict, Dismissed):
            self._stats.plate_checks[verdict.reason.value] += 1
            self._dismissed.append(verdict.reason.value)
            return None
        self._stats.plate_checks["confirmed"] += 1
        return verdict.violation if self._charge(verdict.violation) else None

    def _keep(self, records: list[EvidenceRecord]) -> None:
        for record in records:
            self._stats.stored[record.violation.kind] += 1
            self._stats.recent.append(record)
            self._stored.append(record.violation.kind)
            self._hooks.stored(record)

    def _step(self, frame: Frame, watch: Stopwatch) -> None:
        failures = self._evidence.failure_count
        self._keep(self._evidence.on_frame(frame))
        watch.lap("evidence")
        signals = self._signals.read(frame)
        watch.lap("signals")
        view = self._watch.check(frame.image, frame.captured_at.timestamp())
        # Not judged in fail-safe, nor on a frame frozen, blank or measured moved (before hysteresis).
        judging = self._engine is not None and not view.fail_safe and not view.untrusted
        self._hooks.observed(signals, view_faults(view), judging)
        watch.lap("view")
        detections = self._cadence.detect(frame)
        watch.lap("detect")
        if detections is not None:
            update = self._tracker.update(detections, frame.index, frame.captured_at)
            watch.lap("track")
            if self._engine is not None:
                # Evaluated even when not judging: an act seen on an untrusted view is marked seen and
                # dropped, so it is not charged later either, off a track history that crossed the fault.
                acts = self._engine.evaluate(update, signals)
                for violation in acts if judging else ():
                    # A suspect is charged only once its plate confirms it (`_settle`).
                    if violation.suspect or self._charge(violation):
                        self._evidence.add(violation)
                watch.lap("rules")
            self._evidence.observe(update)  # boxes after the act, for the violator's plate
            watch.lap("evidence")
        self._report(FrameMeasure(
            stages=watch.laps(),
            detected=None if detections is None else tuple(str(c) for c in detections.data.get("class_name", ())),
            lag_s=(datetime.now(UTC) - frame.captured_at).total_seconds() if self._live else None,
            judging=judging, view_faults=len(view.faults), view_shift_px=view.shift_px,
        ), self._evidence.failure_count - failures)

    def _report(self, measure: FrameMeasure, failures: int) -> None:
        """`measure` with what this frame (or the end's flush) charged, dismissed, stored and failed to
        write, to the metrics hook; those start afresh."""
        self._hooks.measured(replace(measure, charged=tuple(self._charged), dismissed=tuple(self._dismissed),
                                     stored=tuple(self._stored), write_failures=failures))
        self._charged.clear()
        self._dismissed.clear()
        self._stored.clear()

    def run(self, max_frames: int | None = None, on_frame: Callable[[Frame], None] | None = None,
            stop: Callable[[], bool] | None = None) -> RunStats:
        """Until the source ends, `max_frames`, or `stop()` says so (a clean stop: the violations in
        hand are still written with the frames there are)."""
        stats = self._stats = RunStats()
        started = time.perf_counter()
        watch = Stopwatch(started)
        for frame in self._source.frames():
            if (max_frames is not None and stats.frames >= max_frames) or (stop is not None and stop()):
                break
            watch.lap("read")  # decoding, or waiting for the camera
            self._step(frame, watch)
            stats.frames += 1
            if on_frame is not None:
                on_frame(frame)
            watch = Stopwatch(time.perf_counter())
        failures = self._evidence.failure_count
        self._keep(self._evidence.flush())
        self._report(FrameMeasure(judging=self._engine is not None), self._evidence.failure_count - failures)
        self._tracker.flush()
        stats.elapsed_s = time.perf_counter() - started
        stats.detector_calls, stats.detector_s = self._cadence.calls, self._cadence.seconds
        stats.evidence_failures = tuple(self._evidence.failures)
        stats.evidence_failure_count = self._evidence.failure_count
        if self._evidence.unjudged:
            stats.plate_checks["not judged (evidence store failing)"] += self._evidence.unjudged
        return stats
