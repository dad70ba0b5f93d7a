"""The short fault runs of tests.delivery.chaos (scripts/chaos runs the long ones): a real mosquitto
SIGKILLed and restarted under load, and the box process SIGKILLed mid-publish and restarted."""

from __future__ import annotations

from pathlib import Path

from tests.delivery.chaos import ChaosPlan, run


def test_broker_killed_ten_times_while_a_thousand_events_go_out(tmp_path: Path) -> None:
    result = run(ChaosPlan(events=1000, broker_kills=10, rate=150.0, timeout_s=240.0, seed=11), tmp_path)
    print(result)
    assert result.broker_kills == 10
    assert result.ok, result
    assert (result.records, result.stored, result.lost, result.rejected) == (1000, 1000, 0, 0)


def test_box_killed_twenty_times_mid_publish(tmp_path: Path) -> None:
    result = run(ChaosPlan(events=600, box_kills=20, rate=60.0, timeout_s=240.0, seed=12), tmp_path)
    print(result)
    assert result.box_kills == 20
    assert result.ok, result
    assert result.lost == 0 and result.stored + result.declared_lost == result.records == 600
