"""The application: what `etle-edge run` (and the evaluation and the benchmark) build once at
start-up, before the first frame. The models in use and their hashes, the software version,
where capture times come from, the plate reader; then delivery, built from the settings,
hooked into the pipeline, and what it did said. Stages decide; this module only chooses and
wires, and edge/cli.py stays a list of steps."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from rich.console import Console

from edge.clock import ClockProbe, ClockSource, FixedClock
from edge.config.load import LoadedSite
from edge.contract.topics import Topics
from edge.core import ClockStatus, ModelIdentity
from edge.delivery.config import MB
from edge.delivery.publisher import Progress
from edge.delivery.service import Delivery, DeliverySetup
from edge.delivery.status import HealthBoard, Identity
from edge.errors import EtleError
from edge.evidence.event import EventContext
from edge.evidence.worker import PlateStage
from edge.ledger.seal import Sealer
from edge.ledger.store import file_sha256
from edge.metrics.box import BoxMetrics, Readings
from edge.metrics.server import MetricsServer, serve
from edge.pipeline import PipelineHooks, StartUp
from edge.plates.detector import VehicleView
from edge.plates.factory import build_plate_reader
from edge.plates.reader import PlateOutcome
from edge.privacy.find import RegionFinder
from edge.settings import DeviceSettings
from edge.sources import FrameSource, StreamSource


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


def start_up(site: LoadedSite, settings: DeviceSettings, source: FrameSource) -> StartUp:
    """Load the plate reader (when reading is on) and name every model by its hash: each event
    carries the identities of the weights that judged it."""
    plates = build_plate_reader(settings.evidence.plates) if settings.evidence.plates.enabled else None
    privacy = settings.evidence.privacy
    redactor = RegionFinder(privacy) if privacy.enabled else None
    files = (("vehicle_detector", settings.detector.model), *(plates.models if plates is not None else ()),
             *(redactor.models if redactor is not None else ()))
    context = EventContext(
        site=site,
        device_id=settings.device_id,
        boot_id=str(uuid.uuid4()),
        models=tuple(ModelIdentity(role=role, file=path.name, sha256=file_sha256(path)) for role, path in files),
        clock=clock_for(source),
        software_version=software_version(),
    )
    return StartUp(context, plates, redactor)


NO_KEY = "no signing key: evidence is recorded unsigned and is not sent"


def with_broker(settings: DeviceSettings, host: str, port: int) -> DeviceSettings:
    broker = settings.delivery.broker.model_copy(update={"host": host, "port": port})
    return settings.model_copy(update={"delivery": settings.delivery.model_copy(update={"broker": broker})})


@dataclass(frozen=True, slots=True)
class Wired:
    delivery: Delivery
    board: HealthBoard
    setup: DeliverySetup

    def hooks(self) -> PipelineHooks:
        return PipelineHooks(admit=self.delivery.admit, stored=self.delivery.stored, observed=self.board.observe)

    def start(self, console: Console) -> None:
        found = self.delivery.start()
        broker = self.setup.config.broker
        queued = self.delivery.progress().depth
        console.print(
            f"publishing to {broker.host}:{broker.port}{' (TLS)' if broker.tls else ''} under "
            f"{self.setup.topics.base}/ via the outbox {self.delivery.outbox_path}"
            + (f"; {len(found.entries)} record(s) from earlier runs queued" if found.entries else "")
            + (f" ({queued} owed a receipt)" if queued else ""),
            highlight=False,
        )

    def finish(self, console: Console) -> Progress:
        """End of a finite source: wait (bounded) for receipts and report what is left."""
        self.board.stop()
        progress = self.delivery.finish(self.setup.config.drain_timeout_s)
        stats = progress.outbox
        left = stats.depth if stats else "?"
        line = (f"delivery: {progress.published} record(s) published, {progress.stored} receipted by the back "
                f"office this run, {left} still in the outbox")
        if stats and stats.depth:
            line += (f" (oldest {stats.oldest_age_s or 0:.0f} s, {stats.held_bytes / MB:.1f} MiB; they go out "
                     f"with the next run: the outbox is durable)")
        colour = "green" if stats and not stats.depth else "yellow"
        console.print(f"[{colour}]{line}[/{colour}]", highlight=False)
        if not progress.connects:
            broker = self.setup.config.broker
            console.print(f"[yellow]the broker {broker.host}:{broker.port} was not reachable: {progress.last_error}"
                          "[/yellow]", highlight=False)
        problems = {
            "rejected by the back office (kept on the box)": stats.rejected if stats else 0,
            "queued but missing from disk": stats.missing if stats else 0,
            "not stored: disk budget reached (each declared in a signed gap record)": self.delivery.shed,
            "unsigned evidence folder(s) kept on disk, never sent": self.delivery.unsigned,
        }
        for what, count in problems.items():
            if count:
                console.print(f"[red]{count} {what}[/red]", highlight=False)
        return progress


def camera_fault(source: FrameSource | None) -> str | None:
    """Read anew each time: a source's health is a fresh value after every change."""
    return source.health.fault() if source is not None else None


def connect_delivery(
    settings: DeviceSettings, site: LoadedSite, context: EventContext, sealer: Sealer | None, console: Console,
    source: FrameSource | None = None,
) -> Wired | None:
    """Delivery for this run, or None (said loudly) when it cannot start: the box still records.
    `source`: whose trouble (a camera that cannot be reached) the status reports."""
    cal = site.site.calibration
    identity = Identity(
        device_id=settings.device_id, site_id=site.site.site.id, camera_id=site.site.camera.id,
        software_version=context.software_version, kid=sealer.kid if sealer else None,
        calibration_version=cal.version, calibration_sha256=site.sha256,
        models=tuple((m.role, m.sha256) for m in context.models),
        site_faults=tuple(site.faults),
    )
    root = Path(settings.evidence.directory).resolve()
    try:
        setup = DeliverySetup(settings.delivery, Topics(settings.delivery.topic_prefix, identity.site_id,
                                                        identity.camera_id), root, identity)
        board = HealthBoard(context.clock, () if sealer else (NO_KEY,), partial(camera_fault, source))
        return Wired(Delivery.open(setup, board, sealer), board, setup)
    except (EtleError, ValueError) as exc:
        console.print(f"[red]delivery disabled, evidence stays on disk: {exc}[/red]", highlight=False)
        return None


class CountedPlates:
    """The plate stage, telling the metrics of each read and its OCR calls (on the worker thread)."""

    def __init__(self, stage: PlateStage, counted: Callable[[int], None]) -> None:
        self.stage = stage
        self.counted = counted
        self.models = stage.models

    def read(self, views: Sequence[VehicleView]) -> PlateOutcome:
        outcome = self.stage.read(views)
        self.counted(outcome.ocr_calls)
        return outcome


def readings(source: FrameSource, clock: ClockSource, wired: Wired | None) -> Readings:
    """What a scrape reports of the camera, the clock and delivery: each read as its owner's snapshot."""
    camera, time_status = source.health, clock.status()
    base = Readings(camera_state=camera.state, camera_reconnects=camera.reconnects, frames_read=camera.frames,
                    clock_synced=time_status.synced, clock_offset_s=time_status.offset_s)
    if wired is None:
        return base
    progress, delivery = wired.delivery.progress(), wired.delivery
    outbox = progress.outbox
    return replace(
        base, broker_connected=progress.connected, published=progress.published, resent=progress.resent,
        receipts=progress.stored, rejected=progress.rejected, delivery_errors=progress.errors, shed=delivery.shed,
        outbox_depth=None if outbox is None else outbox.depth,
        outbox_oldest_age_s=None if outbox is None else outbox.oldest_age_s,
        outbox_bytes=None if outbox is None else outbox.held_bytes,
    )


@dataclass(frozen=True, slots=True)
class Observed:
    """The metrics of this run and the endpoint serving them."""

    metrics: BoxMetrics
    server: MetricsServer

    def counted(self, start: StartUp) -> StartUp:
        """Start-up whose plate stage (if any) reports its reads."""
        if start.plates is None:
            return start
        return replace(start, plates=CountedPlates(start.plates, self.metrics.plate_read))

    def hooks(self, hooks: PipelineHooks) -> PipelineHooks:
        return replace(hooks, measured=self.metrics.frame)


def start_metrics(settings: DeviceSettings, context: EventContext, source: FrameSource,
                  wired: Wired | None) -> Observed | None:
    """The /metrics endpoint when the settings turn it on (else None). Raises MetricsError when it cannot
    listen: a box told to be watched must not run unwatched without saying so."""
    if not settings.metrics.enabled:
        return None
    site = context.site.site
    metrics = BoxMetrics({"device_id": settings.device_id, "site": site.site.id, "camera": site.camera.id,
                          "software_version": context.software_version},
                         partial(readings, source, context.clock, wired))
    return Observed(metrics, serve(settings.metrics, metrics.registry))
