"""Signal state from the traffic controller: phase changes arrive as JSON on the MQTT topic
`etle/v1/{site}/{camera}/signal`, e.g. `{"signal": "sig-1", "state": "red", "at": "<RFC 3339>"}`.

The MQTT client thread calls `receive`; the pipeline thread calls `read`. A controller that
falls silent for longer than `stale_s` makes its signals `unknown` (a cable cut must not
freeze the last phase, and `unknown` never produces red-light or stop-line violations).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.config.site import Signal
from edge.core import LightState, SignalState
from edge.detect.config import SignalControllerConfig


class PhaseMessage(BaseModel):
    """One message on the signal topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signal: str = Field(title="Signal id")
    state: LightState = Field(title="Phase")
    at: datetime = Field(title="Controller time of the phase change (RFC 3339 with offset)")


class SignalMessageError(ValueError):
    """A message on the signal topic that cannot be used; it is ignored and counted."""


def parse_phase(payload: bytes) -> PhaseMessage:
    """
    >>> parse_phase(b'{"signal": "s", "state": "red", "at": "2026-01-15T07:30:00+07:00"}').state
    'red'
    >>> parse_phase(b'{"signal": "s", "state": "blue", "at": "2026-01-15T07:30:00+07:00"}')
    Traceback (most recent call last):
    ...
    edge.detect.signal_controller.SignalMessageError: bad signal message: state: Input should be ...
    """
    try:
        message = PhaseMessage.model_validate(json.loads(payload))
    except (ValueError, ValidationError) as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()) \
            if isinstance(exc, ValidationError) else str(exc)
        raise SignalMessageError(f"bad signal message: {detail}") from exc
    if message.at.utcoffset() is None:
        raise SignalMessageError("bad signal message: at: needs a UTC offset")
    return message


class ControllerSignalReader:
    def __init__(self, signals: list[Signal], config: SignalControllerConfig, start: datetime) -> None:
        self._config = config
        self._ids = {s.id for s in signals if s.source == "controller"}
        self._lock = threading.Lock()
        self._states = {i: SignalState(i, "unknown", start) for i in self._ids}
        self._heard: datetime | None = None
        self.rejected = 0

    def receive(self, payload: bytes, received_at: datetime) -> None:
        """Called from the MQTT thread for each message on the signal topic."""
        try:
            message = parse_phase(payload)
        except SignalMessageError:
            with self._lock:
                self.rejected += 1
            return
        with self._lock:
            self._heard = received_at
            if message.signal in self._ids and self._states[message.signal].state != message.state:
                self._states[message.signal] = self._states[message.signal].after(message.state, message.at)

    def read(self, at: datetime) -> dict[str, SignalState]:
        with self._lock:
            heard = self._heard
            states = dict(self._states)
        if heard is None or (at - heard).total_seconds() > self._config.stale_s:
            return {i: SignalState(i, "unknown", heard or at) for i in self._ids}
        return states
