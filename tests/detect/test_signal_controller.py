"""Controller phases: parsing, changes, staleness."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from edge.config.site import Signal
from edge.detect.config import SignalControllerConfig
from edge.detect.signal_controller import ControllerSignalReader, SignalMessageError, parse_phase

T0 = datetime(2026, 1, 15, 0, 30, tzinfo=UTC)
SIGNALS = [Signal(id="s1", source="controller"), Signal.model_validate(
    {"id": "v1", "source": "vision", "roi": {"red": (0, 0, 1, 1), "amber": (0, 2, 1, 3), "green": (0, 4, 1, 5)}})]


def msg(state: str, at: datetime, signal: str = "s1") -> bytes:
    return json.dumps({"signal": signal, "state": state, "at": at.isoformat()}).encode()


def test_phase_changes_are_dated_by_the_controller() -> None:
    reader = ControllerSignalReader(SIGNALS, SignalControllerConfig(), T0)
    assert reader.read(T0) == {"s1": reader.read(T0)["s1"]} and reader.read(T0)["s1"].state == "unknown"
    reader.receive(msg("green", T0), T0)
    reader.receive(msg("red", T0 + timedelta(seconds=10)), T0 + timedelta(seconds=10.2))
    reader.receive(msg("red", T0 + timedelta(seconds=12)), T0 + timedelta(seconds=12.1))  # repeat: no new onset
    state = reader.read(T0 + timedelta(seconds=13))["s1"]
    assert (state.state, state.since) == ("red", T0 + timedelta(seconds=10))


def test_silence_makes_it_unknown() -> None:
    reader = ControllerSignalReader(SIGNALS, SignalControllerConfig(stale_s=5), T0)
    reader.receive(msg("red", T0), T0)
    assert reader.read(T0 + timedelta(seconds=4.9))["s1"].state == "red"
    assert reader.read(T0 + timedelta(seconds=5.1))["s1"].state == "unknown"


@pytest.mark.parametrize(
    "payload",
    [b"not json", b'{"signal": "s1", "state": "red"}', b'{"signal": "s1", "state": "red", "at": "2026-01-15T07:30:00"}',
     b'{"signal": "s1", "state": "purple", "at": "2026-01-15T07:30:00+07:00"}'],
)
def test_bad_messages_are_counted_and_ignored(payload: bytes) -> None:
    with pytest.raises(SignalMessageError):
        parse_phase(payload)
    reader = ControllerSignalReader(SIGNALS, SignalControllerConfig(), T0)
    reader.receive(payload, T0)
    assert reader.rejected == 1 and reader.read(T0)["s1"].state == "unknown"


def test_unknown_signal_ids_and_vision_signals_are_ignored() -> None:
    reader = ControllerSignalReader(SIGNALS, SignalControllerConfig(), T0)
    reader.receive(msg("red", T0, signal="v1"), T0)
    reader.receive(msg("red", T0, signal="nope"), T0)
    assert set(reader.read(T0)) == {"s1"} and reader.read(T0)["s1"].state == "unknown"
