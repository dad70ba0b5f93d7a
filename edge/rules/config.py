"""The rules' settings: one block per rule (each defined beside its rule), re-identification and
the classes judged. Pure like the rules: `edge.settings` loads no tracker or model runtime."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from edge.rules.illegal_stop import IllegalStopConfig
from edge.rules.odd_even import OddEvenConfig
from edge.rules.red_light import RedLightConfig
from edge.rules.restricted_lane import RestrictedLaneConfig
from edge.rules.solid_line import SolidLineConfig
from edge.rules.speeding import SpeedingConfig
from edge.rules.stop_line import StopLineConfig
from edge.rules.wrong_way import WrongWayConfig


class ReidConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_gap_s: float = Field(default=2.0, ge=0, title="Re-found within", description="Seconds.")
    max_distance_m: float = Field(
        default=3.0, ge=0, title="Re-found within",
        description="Metres from where the lost track would be by now, moving on at its last velocity.",
    )
    duplicate_inside: float = Field(
        default=0.85, ge=0, le=1, title="One vehicle boxed twice: share inside",
        description="Two live tracks are one vehicle when this share of the smaller box lies inside the "
        "larger (a truck's box and a wider one around it, a rider and the motorcycle), their ground "
        "positions agree and it lasts. 0: never.",
    )
    duplicate_distance_m: float = Field(
        default=2.0, ge=0, title="One vehicle boxed twice: ground positions within", description="Metres.",
    )
    duplicate_s: float = Field(default=0.3, ge=0, title="One vehicle boxed twice: for", description="Seconds.")


class RulesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    red_light: RedLightConfig = Field(default_factory=RedLightConfig, title="red_light")
    stop_line: StopLineConfig = Field(default_factory=StopLineConfig, title="stop_line")
    solid_line_crossing: SolidLineConfig = Field(default_factory=SolidLineConfig, title="solid_line_crossing")
    wrong_way: WrongWayConfig = Field(default_factory=WrongWayConfig, title="wrong_way")
    speeding: SpeedingConfig = Field(default_factory=SpeedingConfig, title="speeding")
    illegal_stop: IllegalStopConfig = Field(default_factory=IllegalStopConfig, title="illegal_stop")
    restricted_lane: RestrictedLaneConfig = Field(default_factory=RestrictedLaneConfig, title="restricted_lane")
    odd_even: OddEvenConfig = Field(default_factory=OddEvenConfig, title="odd_even")
    same_vehicle: ReidConfig = Field(default_factory=ReidConfig, title="Same vehicle: id switches and double boxes")
    judged_classes: tuple[str, ...] = Field(
        default=("car", "motorcycle", "bus", "truck"), title="Classes judged",
        description="Tracks of other classes are never charged: a pedestrian is not a vehicle, a bicycle "
        "has no plate. A 'person' moving at a motorcycle's speed is judged as a motorcycle (the tracker's "
        "rider_speed_kmh).",
    )
