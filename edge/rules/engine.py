"""Runs every rule on each track update and counts each act once per vehicle.

One act, one charge (DESIGN.md, rule semantics; the precedence is in the README): running the
red and stopping past the line at the same stop line are one act, `red_light` winning (it is
evaluated first, and whichever of the two is reported first blocks the other); every
restricted_lane finding of a vehicle in one lane is one act (the rule names every restriction
it breaks in that one violation). Any other kind is its own act per feature.

The only rule state is bookkeeping for counting once: which (vehicle, act) was already
reported, and which vehicle each track is (`edge.rules.identity`: an id switch, or one vehicle
boxed twice at once, never doubles a ticket). State is dropped with the tracks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from pydantic import BaseModel

from edge.core import SignalState, Track, TrackUpdate, Violation
from edge.rules.config import RulesConfig
from edge.rules.identity import Vehicles
from edge.rules.illegal_stop import illegal_stop
from edge.rules.odd_even import PlateEvidence, Verdict, judge_read, odd_even
from edge.rules.red_light import red_light
from edge.rules.restricted_lane import restricted_lane
from edge.rules.scene import Scene
from edge.rules.solid_line import solid_line
from edge.rules.speeding import speeding
from edge.rules.stop_line import stop_line
from edge.rules.wrong_way import wrong_way

Rule = Callable[[Track, Scene, Mapping[str, SignalState], Any], list[Violation]]
_CROSSING_ACT = ("red_light", "stop_line")  # one act at one stop line; red_light is evaluated first


def act_of(violation: Violation) -> tuple[str, str]:
    """The act a violation charges, per vehicle: what must be charged at most once.

    >>> from datetime import UTC, datetime
    >>> def v(kind, lane, feature):
    ...     return Violation(kind, 1, "car", 0.9, lane, feature, datetime(2026, 1, 1, tzinfo=UTC), 5, 4, (0, 0, 1, 1))
    >>> act_of(v("red_light", "l1", "s1")) == act_of(v("stop_line", "l1", "s1"))
    True
    >>> act_of(v("restricted_lane", "l1", "busway")) == act_of(v("restricted_lane", "l1", "l1"))
    True
    >>> act_of(v("speeding", "l1", "l1"))
    ('speeding', 'l1')
    """
    if violation.kind in _CROSSING_ACT:
        return "stop_line_crossing", violation.feature
    if violation.kind == "restricted_lane":
        return "restricted_lane", violation.lane
    return violation.kind, violation.feature


def _rules(config: RulesConfig) -> list[tuple[Rule, BaseModel]]:
    return [
        (red_light, config.red_light),
        # Both rules must read the grace and the junction alike: stop_line gets red_light's settings.
        (partial(stop_line, red=config.red_light), config.stop_line),
        (solid_line, config.solid_line_crossing),
        (wrong_way, config.wrong_way),
        (speeding, config.speeding),
        (illegal_stop, config.illegal_stop),
        (restricted_lane, config.restricted_lane),
        (odd_even, config.odd_even),  # suspects until their plate is read: see edge.rules.odd_even
    ]


class RuleEngine:
    def __init__(self, scene: Scene, config: RulesConfig) -> None:
        self._scene = scene
        self._config = config
        self._rules = _rules(config)
        self._reported: dict[int, set[tuple[str, str]]] = {}  # vehicle → acts charged
        self._vehicles = Vehicles(scene, config.same_vehicle)

    def evaluate(self, update: TrackUpdate, signals: Mapping[str, SignalState]) -> list[Violation]:
        for kept, joined in self._vehicles.update(update):
            self._reported[kept] = self._reported.get(kept, set()) | self._reported.pop(joined, set())
        found = []
        for track in update.active:
            if track.class_name not in self._config.judged_classes:
                continue
            vehicle = self._vehicles.of(track.id)
            seen = self._reported.setdefault(vehicle, set())
            for rule, config in self._rules:
                for violation in rule(track, self._scene, signals, config):
                    key = act_of(violation)
                    if key not in seen:
                        seen.add(key)
                        found.append(violation)
        if update.active:
            self._forget(update.ended, max(t.last.captured_at for t in update.active))
        else:
            self._forget(update.ended, None)
        return found

    def confirm(self, suspect: Violation, read: PlateEvidence | str) -> Verdict:
        """The second step of a suspect (odd_even): confirmed or dismissed by the
        plate read for it, or by why none was (`read` is then the reason)."""
        return judge_read(suspect, read, self._config.odd_even)

    def _forget(self, ended: tuple[int, ...], now: datetime | None) -> None:
        live = self._vehicles.forget(ended, now)
        for vehicle in [v for v in self._reported if v not in live]:
            del self._reported[vehicle]
