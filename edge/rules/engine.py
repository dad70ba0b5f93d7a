"""Runs every rule on each track update and counts each act once per vehicle."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from edge.config import Calibration
from edge.rules.red_light import RedLightConfig, red_light
from edge.rules.types import SignalState, Violation
from edge.track import TrackUpdate


class RulesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    red_light: RedLightConfig = Field(default_factory=RedLightConfig, title="red_light")


class RuleEngine:
    """Holds the only rule state there is: which (track, kind, feature) was already reported.

    That state is keyed by track id and dropped when the tracker drops the track.
    """

    def __init__(self, calibration: Calibration, config: RulesConfig) -> None:
        self._calibration = calibration
        self._config = config
        self._reported: dict[int, set[tuple[str, str]]] = {}

    def evaluate(self, update: TrackUpdate, signals: Mapping[str, SignalState]) -> list[Violation]:
        for track_id in update.ended:
            self._reported.pop(track_id, None)
        found = []
        for track in update.active:
            for violation in red_light(track, self._calibration, signals, self._config.red_light):
                key = (violation.kind, violation.feature)
                seen = self._reported.setdefault(track.id, set())
                if key not in seen:
                    seen.add(key)
                    found.append(violation)
        return found
