"""Device health, as published (retained) on `etle/v1/{site}/{camera}/status`.

The pipeline thread reports frames and signal states to a `HealthBoard`; the publisher thread reads
a frozen `Health` from it and adds what only it knows (connection, outbox, disk). The last will
is exactly {"state": "offline"} (DESIGN.md); a clean stop publishes the full document with
state "stopped". docs/asyncapi.yaml holds the schema of this document.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from edge.delivery.outbox import OutboxStats

if TYPE_CHECKING:  # the event module pulls the vision stack; the box's delivery path need not
    from edge.clock import ClockSource
    from edge.core import ClockStatus, SignalState

StatusState = Literal["online", "degraded", "stopped", "offline"]
OFFLINE_WILL = b'{"state":"offline"}'
STALLED_AFTER_S = 5.0
FPS_WINDOW = 64


@dataclass(frozen=True, slots=True)
class Health:
    """What the video side says about itself at one moment."""

    fps: float | None = None
    camera: Literal["starting", "ok", "stalled", "stopped"] = "starting"
    last_frame_age_s: float | None = None
    signals: Mapping[str, str] = field(default_factory=dict)
    clock: ClockStatus | None = None
    faults: tuple[str, ...] = ()
    judging: bool = True  # False: the pipeline issues no violation now (fail-safe, or a view fault)

    @property
    def signal(self) -> Literal["none", "ok", "unknown"]:
        if not self.signals:
            return "none"
        return "unknown" if any(s == "unknown" for s in self.signals.values()) else "ok"


class HealthSource(Protocol):
    """Port: where the publisher reads the video side's health from (must not block)."""

    def health(self) -> Health: ...


@dataclass(frozen=True, slots=True)
class Identity:
    """What the status names and does not change while the box runs."""

    device_id: str
    site_id: str
    camera_id: str
    software_version: str
    kid: str | None = None
    calibration_version: int | None = None
    calibration_sha256: str | None = None
    models: tuple[tuple[str, str], ...] = ()  # (role, sha256)
    # Problems of the site file: the box runs fail-safe (detects and tracks, judges nothing).
    site_faults: tuple[str, ...] = ()


class HealthBoard:
    """Thread-safe: the pipeline thread writes with `observe`, the publisher thread reads `health`."""

    def __init__(self, clock: ClockSource | None = None, faults: tuple[str, ...] = (),
                 camera: Callable[[], str | None] | None = None) -> None:
        """`camera`: the frame source's own account of its trouble (a camera that cannot be reached
        sends no frame to observe), or None while it delivers."""
        self._lock = threading.Lock()
        self._clock = clock
        self._faults = faults
        self._camera = camera
        self._frames: deque[float] = deque(maxlen=FPS_WINDOW)
        self._signals: dict[str, str] = {}
        self._view: tuple[str, ...] = ()
        self._judging = True
        self._stopped = False

    def observe(self, signals: Mapping[str, SignalState], view: tuple[str, ...] = (), judging: bool = True) -> None:
        """Called once per frame by the pipeline (cheap: a timestamp and a dict copy). `view`: the camera
        picture's faults, worded for the status; `judging`: whether this frame could issue a violation."""
        with self._lock:
            self._frames.append(time.monotonic())
            self._signals = {sid: str(s.state) for sid, s in signals.items()}
            self._view, self._judging = view, judging

    def add_fault(self, fault: str) -> None:
        with self._lock:
            if fault not in self._faults:
                self._faults = (*self._faults, fault)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True

    def health(self) -> Health:
        with self._lock:
            frames, signals, faults, stopped = list(self._frames), dict(self._signals), self._faults, self._stopped
            faults, judging = (*faults, *self._view), self._judging
        clock = self._clock.status() if self._clock is not None else None
        trouble = self._camera() if self._camera is not None else None
        if trouble is not None:
            faults = (*faults, trouble)
        if not frames:
            return Health(camera="stopped" if stopped else "starting", signals=signals, clock=clock, faults=faults,
                          judging=judging)
        age = time.monotonic() - frames[-1]
        fps = (len(frames) - 1) / (frames[-1] - frames[0]) if len(frames) > 1 and frames[-1] > frames[0] else None
        camera: Literal["ok", "stalled", "stopped"] = "stopped" if stopped else (
            "stalled" if age > STALLED_AFTER_S else "ok")
        return Health(fps=None if fps is None else round(fps, 2), camera=camera, last_frame_age_s=round(age, 3),
                      signals=signals, clock=clock, faults=faults, judging=judging)


@dataclass(frozen=True, slots=True)
class Delivered:
    """What the publisher itself knows, for the status."""

    connected: bool
    outbox: OutboxStats
    shed: int = 0  # violations not stored because the disk budget was reached (each in a signed gap)
    unsigned: int = 0  # evidence folders without a signature: kept on disk, never sent
    faults: tuple[str, ...] = ()


def disk_free(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def _faults(identity: Identity, health: Health, delivered: Delivered) -> list[str]:
    faults = [f"fail-safe, no violation is judged: site file: {f}" for f in identity.site_faults]
    faults += [*health.faults, *delivered.faults]
    # A source that says itself why (reconnecting, gave up) is the one camera fault, not two.
    if health.camera == "stalled" and not any(f.startswith("camera:") for f in health.faults):
        faults.append(f"camera: no frame for {health.last_frame_age_s} s")
    if health.clock is not None and health.clock.synced is False:
        faults.append("clock not synchronised")
    if delivered.outbox.rejected:
        faults.append(f"{delivered.outbox.rejected} record(s) rejected by the back office (kept on the box)")
    if delivered.outbox.missing:
        faults.append(f"{delivered.outbox.missing} queued record(s) missing from disk")
    if delivered.shed:
        faults.append(f"disk budget reached: {delivered.shed} violation(s) not stored, each declared in a signed gap")
    if delivered.unsigned:
        faults.append(f"{delivered.unsigned} unsigned evidence folder(s) kept on disk, not sent")
    return faults


def status_document(
    state: StatusState, identity: Identity, health: Health, delivered: Delivered, free_bytes: int | None,
) -> dict[str, Any]:
    """The JSON of one status message. "online" becomes "degraded" when there is any fault."""
    faults = _faults(identity, health, delivered)
    if state == "online" and faults:
        state = "degraded"
    clock = health.clock
    stats = delivered.outbox
    return {
        "state": state,
        "device_id": identity.device_id,
        "kid": identity.kid,
        "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "site": identity.site_id,
        "camera": identity.camera_id,
        "versions": {"software": identity.software_version, "contract": "etle/v1",
                     "models": [{"role": role, "sha256": sha} for role, sha in identity.models]},
        "calibration": {"version": identity.calibration_version, "sha256": identity.calibration_sha256},
        "judging": not identity.site_faults and health.judging,
        "fps": health.fps,
        "camera_health": {"state": health.camera, "last_frame_age_s": health.last_frame_age_s},
        "signal_health": {"state": health.signal, "signals": dict(health.signals)},
        "clock": None if clock is None else {"synced": clock.synced, "source": clock.source,
                                             "offset_s": clock.offset_s},
        "outbox": {"depth": stats.depth, "oldest_age_s": None if stats.oldest_age_s is None
                   else round(stats.oldest_age_s, 1), "bytes": stats.held_bytes, "rejected": stats.rejected,
                   "missing": stats.missing, "shed": delivered.shed, "unsigned": delivered.unsigned},
        "disk_free_bytes": free_bytes,
        "faults": faults,
    }


def change_key(document: Mapping[str, Any]) -> tuple[object, ...]:
    """The parts whose change is worth a status message before the interval is up."""
    return (document["state"], tuple(document["faults"]), document["camera_health"]["state"],
            document["signal_health"]["state"], document["outbox"]["depth"] == 0)
