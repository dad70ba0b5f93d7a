"""The box's metrics. Two ways in, so no other thread's state is read while it changes:

- pushed: the pipeline reports a `FrameMeasure` once per frame (stage latencies, detections,
  charges, dismissals), the plate stage each read (OCR calls);
- pulled: at each scrape, `Readings` from whoever owns them (delivery's progress, the camera's
  health, the clock), taken as one snapshot by a callable the wiring (edge.app) supplies.

Each box has a registry of its own (not prometheus_client's global one): two pipelines in one
process (tests, the evaluation) never share counters. Names are listed in README "Metrics".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from edge.core import FrameMeasure

# Seconds: a tracker or rules step takes ~0.1 ms, a detector 30-150 ms on a Jetson-class box.
STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CAMERA_STATES = ("starting", "ok", "reconnecting", "ended", "failed")


@dataclass(frozen=True, slots=True)
class Readings:
    """One scrape's snapshot of what other parts own. None: that part is not running (no delivery)."""

    camera_state: str = "starting"
    camera_reconnects: int = 0
    frames_read: int = 0
    clock_synced: bool | None = None
    clock_offset_s: float | None = None
    broker_connected: bool | None = None
    outbox_depth: int | None = None
    outbox_oldest_age_s: float | None = None
    outbox_bytes: int | None = None
    published: int = 0
    resent: int = 0
    receipts: int = 0
    rejected: int = 0
    delivery_errors: int = 0
    shed: int = 0


def no_readings() -> Readings:
    return Readings()


class _Pulled(Collector):
    def __init__(self, read: Callable[[], Readings]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        r = self._read()
        state = GaugeMetricFamily("etle_camera_state", "1 for the camera source's current state", labels=["state"])
        for name in CAMERA_STATES:
            state.add_metric([name], float(name == r.camera_state))
        yield state
        yield CounterMetricFamily("etle_camera_reconnects", "Reconnect attempts of the camera source",
                                  value=r.camera_reconnects)
        yield CounterMetricFamily("etle_frames_read", "Frames the camera source delivered", value=r.frames_read)
        if r.clock_synced is not None:
            yield GaugeMetricFamily("etle_clock_synced", "1: the clock daemon says synchronised",
                                    value=float(r.clock_synced))
        if r.clock_offset_s is not None:
            yield GaugeMetricFamily("etle_clock_offset_seconds", "System clock minus reference",
                                    value=r.clock_offset_s)
        if r.broker_connected is None:
            return  # no delivery in this run: no outbox to speak of
        yield GaugeMetricFamily("etle_broker_connected", "1: connected to the broker", value=float(r.broker_connected))
        for name, helptext, value in (
            ("etle_outbox_depth", "Records in the outbox not yet receipted", r.outbox_depth),
            ("etle_outbox_oldest_age_seconds", "Age of the oldest record owed a receipt", r.outbox_oldest_age_s),
            ("etle_outbox_bytes", "Bytes of evidence the outbox holds on disk", r.outbox_bytes),
        ):
            if value is not None:
                yield GaugeMetricFamily(name, helptext, value=value)
        for name, helptext, total in (
            ("etle_published", "Records published (first sends and resends)", r.published),
            ("etle_resent", "Records published again (no receipt in time)", r.resent),
            ("etle_receipts", "Records the back office receipted as stored", r.receipts),
            ("etle_rejected", "Records the back office rejected (kept on the box)", r.rejected),
            ("etle_delivery_errors", "Lost connections, broker refusals and outbox disk errors", r.delivery_errors),
            ("etle_shed", "Violations not stored: disk budget reached (each declared in a signed gap)", r.shed),
        ):
            yield CounterMetricFamily(name, helptext, value=total)


class BoxMetrics:
    """Thread-safe (prometheus_client's instruments are): the pipeline and plate threads write,
    the HTTP server thread reads."""

    def __init__(self, identity: dict[str, str], read: Callable[[], Readings] = no_readings) -> None:
        """`identity`: device, site, camera, software version: the `etle_box_info` labels."""
        self.registry = registry = CollectorRegistry()
        Info("etle_box", "Which box, site and camera this is", registry=registry).info(identity)
        self._frames = Counter("etle_frames_processed", "Frames through the pipeline", registry=registry)
        self._detector_frames = Counter("etle_detector_frames", "Frames the detector ran on", registry=registry)
        self._stage = Histogram("etle_stage_seconds", "Wall time of each pipeline stage per frame", ["stage"],
                                buckets=STAGE_BUCKETS, registry=registry)
        self._lag = Histogram("etle_frame_lag_seconds", "Wall clock minus capture time at processing (live sources)",
                              buckets=LAG_BUCKETS, registry=registry)
        self._detections = Counter("etle_detections", "Vehicle detections by class", ["class"], registry=registry)
        self._violations = Counter("etle_violations", "Acts charged, by kind", ["kind"], registry=registry)
        self._dismissed = Counter("etle_suspects_dismissed", "odd_even suspects not charged, by reason", ["reason"],
                                  registry=registry)
        self._stored = Counter("etle_evidence_stored", "Evidence folders written, by kind", ["kind"],
                               registry=registry)
        self._write_failures = Counter("etle_evidence_write_failures", "Evidence writes that failed (retried)",
                                       registry=registry)
        self._plate_reads = Counter("etle_plate_reads", "Plate reads (one per violation or suspect)",
                                    registry=registry)
        self._ocr = Counter("etle_ocr_calls", "OCR runs on plate crops", registry=registry)
        self._judging = Gauge("etle_judging", "1: judging; 0: fail-safe (site file faults, a tampered view) or "
                              "a view fault", registry=registry)
        self._judging.set(1)
        self._view_faults = Gauge("etle_view_faults", "Faults of the camera's picture now (frozen, black, white, "
                                  "blurred, moved)", registry=registry)
        self._view_shift = Gauge("etle_view_shift_pixels", "Drift of the view from its calibration reference at "
                                 "the lanes and stop lines (NaN: not measured)", registry=registry)
        registry.register(_Pulled(read))

    def frame(self, measure: FrameMeasure) -> None:
        """The pipeline's report of one frame (`PipelineHooks.measured`), or of the run's end (no stages:
        only what the last flush charged and stored)."""
        for kind in measure.charged:
            self._violations.labels(kind).inc()
        for reason in measure.dismissed:
            self._dismissed.labels(reason).inc()
        for kind in measure.stored:
            self._stored.labels(kind).inc()
        self._write_failures.inc(measure.write_failures)
        if not measure.stages:
            return
        self._frames.inc()
        for stage, seconds in measure.stages:
            self._stage.labels(stage).observe(seconds)
        if measure.detected is not None:
            self._detector_frames.inc()
            for cls in measure.detected:
                self._detections.labels(cls).inc()
        if measure.lag_s is not None:
            self._lag.observe(max(0.0, measure.lag_s))
        self._judging.set(1 if measure.judging else 0)
        self._view_faults.set(measure.view_faults)
        self._view_shift.set(float("nan") if measure.view_shift_px is None else measure.view_shift_px)

    def plate_read(self, ocr_calls: int) -> None:
        self._plate_reads.inc()
        self._ocr.inc(ocr_calls)
