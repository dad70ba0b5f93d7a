"""The engine reports each act once per vehicle and forgets tracks the tracker dropped."""

from __future__ import annotations

from edge.rules.engine import RuleEngine, RulesConfig
from edge.track import TrackUpdate
from tests.rules.test_red_light import CAL, signal, track


def test_reported_once_per_track_and_line() -> None:
    engine = RuleEngine(CAL, RulesConfig())
    crossing = track(190, 210)
    assert len(engine.evaluate(TrackUpdate(active=(crossing,), ended=()), signal("red"))) == 1
    # The same step seen again (e.g. jitter back and forth over the line) is not a second act.
    assert engine.evaluate(TrackUpdate(active=(crossing,), ended=()), signal("red")) == []


def test_state_dropped_with_the_track() -> None:
    engine = RuleEngine(CAL, RulesConfig())
    crossing = track(190, 210)
    engine.evaluate(TrackUpdate(active=(crossing,), ended=()), signal("red"))
    engine.evaluate(TrackUpdate(active=(), ended=(crossing.id,)), signal("red"))
    assert len(engine.evaluate(TrackUpdate(active=(crossing,), ended=()), signal("red"))) == 1


def test_empty_update() -> None:
    assert RuleEngine(CAL, RulesConfig()).evaluate(TrackUpdate(active=(), ended=()), {}) == []
