"""illegal_stop: a vehicle stands in a no-stopping zone longer than the zone's `max_dwell_s`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edge.core import SignalState, Track, Violation
from edge.geometry import points_in_polygon
from edge.rules.motion import seconds_between, stationary_since
from edge.rules.scene import Scene


class IllegalStopConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    still_radius_m: float = Field(default=0.5, gt=0, title="Still radius",
                                  description="Metres the ground point may wander while standing.")
    margin_s: float = Field(
        default=1.0, ge=0, title="Margin over the dwell limit",
        description="Seconds a vehicle must stand beyond the zone's max_dwell_s: when it started and "
        "stopped standing is known to a few frames, and a stop-and-go queue's stops end near the limit.",
    )


def illegal_stop(
    track: Track, scene: Scene, signals: Mapping[str, SignalState], config: IllegalStopConfig
) -> list[Violation]:
    del signals
    zones = [z for z in scene.calibration.zones if z.kind == "no_stopping"]
    since = stationary_since(track.points, scene, config.still_radius_m) if zones else None
    if since is None:
        return []
    first, now = track.points[since], track.points[-1]
    dwell = seconds_between(first, now)
    found = []
    for zone in zones:
        # Standing in the zone: its footprint's front or centre in it (a car whose nose has left
        # a box junction still blocks it).
        inside = points_in_polygon(np.asarray([now.anchor, now.middle]), zone.polygon)
        if dwell <= zone.max_dwell_s + config.margin_s or not inside.any():
            continue
        lane_id = scene.lane_at(now.anchor) or ""
        found.append(Violation.of("illegal_stop", track, (lane_id, zone.id), (first, now), {
            "zone": zone.id, "dwell_s": round(dwell, 1), "max_dwell_s": zone.max_dwell_s,
        }))
    return found
