"""Wiring only: frame source → detector → tracker → signal reader → rules → evidence."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from edge.config.load import LoadedSite
from edge.core import ClockStatus, ModelIdentity, SignalState, Violation
from edge.detect import Detector, build_detector
from edge.detect.region import Region, RegionDetector, region_of
from edge.detect.signal import VisionSignalReader
from edge.detect.signal_controller import ControllerSignalReader
from edge.evidence.builder import EvidenceBuilder, EvidenceRecord, admit_all
from edge.evidence.clock import ClockProbe
from edge.evidence.event import ClockSource, EventContext, FixedClock
from edge.evidence.seal import Sealer
from edge.footprint import Footprint
from edge.rules.engine import RuleEngine
from edge.rules.scene import Scene
from edge.settings import DeviceSettings
from edge.sources import Frame, FrameSource, StreamSource
from edge.track import VehicleTracker


@dataclass
class RunStats:
    """What a run did, for the summary and the benchmark. Times are wall-clock seconds."""

    frames: int = 0
    detector_calls: int = 0
    detector_s: float = 0.0
    elapsed_s: float = 0.0
    violations: int = 0
    records: list[EvidenceRecord] = field(default_factory=list)
    evidence_failures: list[str] = field(default_factory=list)
    # odd_even suspects judged by their plate: "confirmed" (counted in `violations`) or why not.
    plate_checks: dict[str, int] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return self.frames / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def detector_ms(self) -> float:
        return 1000.0 * self.detector_s / self.detector_calls if self.detector_calls else 0.0


def _ignore(*_args: object) -> None:
    return None


@dataclass(frozen=True, slots=True)
class PipelineHooks:
    """Where delivery (edge.delivery) plugs in; without hooks the pipeline runs exactly as before.
    Each hook runs on the pipeline thread and must not wait for the network."""

    admit: Callable[[Violation], bool] = admit_all  # False: not stored (disk budget; declared in a signed gap)
    stored: Callable[[EvidenceRecord], None] = _ignore  # an evidence folder is durable on disk: queue it
    observed: Callable[[Mapping[str, SignalState]], None] = _ignore  # once per frame, for the device status


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def software_version() -> str:
    try:
        return version("etle-edge")
    except PackageNotFoundError:
        return "unknown"


def clock_for(source: FrameSource) -> ClockSource:
    """Live frames are stamped by the system clock, so its sync state matters; a replay's are not."""
    if isinstance(source, StreamSource):
        probe = ClockProbe()
        probe.start()
        return probe
    return FixedClock(ClockStatus(source="clip_start_time", synced=None, offset_s=None))


def make_context(site: LoadedSite, settings: DeviceSettings, source: FrameSource) -> EventContext:
    model = settings.detector.model
    return EventContext(
        site=site,
        device_id=settings.device_id,
        boot_id=str(uuid.uuid4()),
        models=(ModelIdentity(role="vehicle_detector", file=model.name, sha256=file_sha256(model)),),
        clock=clock_for(source),
        software_version=software_version(),
    )


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
        self, site: LoadedSite, settings: DeviceSettings, source: FrameSource, context: EventContext,
        sealer: Sealer | None = None, detector: Detector | None = None,
    ) -> None:
        """`detector`: in place of `site_detector` on the site's region (the evaluation replays recorded
        detections through it); it must answer as that one would, in frame pixels."""
        cam = site.site.camera
        self._settings = settings
        self._source = source
        calibration = site.site.calibration
        region = detection_region(site, settings)
        self._detector = detector if detector is not None else site_detector(settings, region)
        footprint = Footprint.of(calibration.ground_plane(), cam.resolution,
                                 [(lane.polygon, lane.direction) for lane in calibration.lanes],
                                 settings.tracker.footprint, (region.x0, region.y0, region.x1, region.y1))
        self._tracker = VehicleTracker(settings.tracker, cam.fps / settings.detect_every, footprint)
        # Fail-safe (a site file with faults): detect and track, but judge nothing.
        self._engine = None if site.faults else RuleEngine(
            Scene.of(site.site.calibration, site.site.site.timezone, site.site.site.holidays), settings.rules)
        self._signals: VisionSignalReader | None = None
        self._signal_config = settings.signal_vision
        self._calibration = site.site.calibration
        controlled = any(s.source == "controller" for s in site.site.calibration.signals)
        # Fed by the delivery's MQTT thread (see `controller`); None when every signal is read by vision.
        self.controller = ControllerSignalReader(
            site.site.calibration.signals, settings.signal_controller, datetime.now(UTC)) if controlled else None
        self._evidence = EvidenceBuilder(context, settings.evidence, cam.fps, sealer, odd_even=settings.rules.odd_even)
        self._hooks = PipelineHooks()

    def attach(self, hooks: PipelineHooks) -> None:
        self._hooks = hooks
        self._evidence.admit = hooks.admit  # for suspects, once their plate confirms them

    def _keep(self, records: list[EvidenceRecord], stats: RunStats) -> None:
        for record in records:
            stats.records.append(record)
            self._hooks.stored(record)

    @property
    def source(self) -> FrameSource:
        return self._source

    @property
    def evidence_dir(self) -> Path:
        return self._settings.evidence.directory

    def _step(self, frame: Frame, stats: RunStats) -> None:
        self._keep(self._evidence.on_frame(frame), stats)
        if self._signals is None:
            self._signals = VisionSignalReader(self._calibration.signals, self._signal_config, frame.captured_at)
        signals = self._signals.read(frame.image, frame.captured_at)
        if self.controller is not None:
            signals |= self.controller.read(frame.captured_at)
        self._hooks.observed(signals)
        if frame.index % self._settings.detect_every:
            return
        started = time.perf_counter()
        detections = self._detector.detect(frame.image)
        stats.detector_s += time.perf_counter() - started
        stats.detector_calls += 1
        update = self._tracker.update(detections, frame.index, frame.captured_at)
        if self._engine is None:
            return
        for violation in self._engine.evaluate(update, signals):
            if violation.pending_plate:  # a suspect: judged (and admitted) once its plate is read
                self._evidence.add(violation)
                continue
            stats.violations += 1
            if self._hooks.admit(violation):
                self._evidence.add(violation)
        self._evidence.observe(update)  # boxes after the act, for the violator's plate

    def run(self, max_frames: int | None = None, on_frame: Callable[[Frame], None] | None = None) -> RunStats:
        stats = RunStats()
        started = time.perf_counter()
        for frame in self._source.frames():
            if max_frames is not None and stats.frames >= max_frames:
                break
            self._step(frame, stats)
            stats.frames += 1
            if on_frame is not None:
                on_frame(frame)
        self._keep(self._evidence.flush(), stats)
        self._tracker.flush()
        stats.elapsed_s = time.perf_counter() - started
        stats.evidence_failures = list(self._evidence.failures)
        stats.plate_checks = dict(self._evidence.plate_checks)
        stats.violations += stats.plate_checks.get("confirmed", 0)
        return stats
