"""Device settings: how this box runs (models, thresholds, folders), as opposed to the site
file, which says what the camera sees. Every field has a default that runs the bundled demo.

Kept apart from `edge.config` because it gathers each stage's own config model, and those
stages import the site-file types.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.delivery.config import DeliveryConfig
from edge.detect.config import CenterNetConfig, DetectorConfig, SignalControllerConfig, SignalVisionConfig
from edge.errors import EtleError
from edge.evidence.config import EvidenceConfig
from edge.ledger.config import SigningConfig
from edge.paths import in_project
from edge.rules.config import RulesConfig
from edge.track.config import TrackerConfig


class DeviceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    device_id: str = Field(default="etle-dev-0001", min_length=1, title="Device id")
    detector: DetectorConfig = Field(default_factory=CenterNetConfig, title="Vehicle detector")
    detect_every: int = Field(default=1, ge=1, title="Detect every Nth frame")
    detect_region: Literal["site", "frame"] = Field(
        default="site", title="Where the detector looks",
        description="site: only the box around the calibrated lanes, lines and zones (raised by a bus's "
        "height), so far vehicles are larger in the detector's fixed-size input; frame: the whole frame.",
    )
    tracker: TrackerConfig = Field(default_factory=TrackerConfig, title="Tracker")
    signal_vision: SignalVisionConfig = Field(default_factory=SignalVisionConfig, title="Signal lamps")
    signal_controller: SignalControllerConfig = Field(
        default_factory=SignalControllerConfig, title="Traffic-controller signal input"
    )
    rules: RulesConfig = Field(default_factory=RulesConfig, title="Rules")
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig, title="Evidence")
    signing: SigningConfig = Field(default_factory=SigningConfig, title="Signing")
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig, title="Delivery",
                                     description="MQTT broker, outbox and status (edge.delivery).")

    def resolved(self) -> DeviceSettings:
        """Relative model paths are relative to the project (models/ ships with it)."""
        model = in_project(self.detector.model)
        if model == self.detector.model:
            return self
        detector = self.detector.model_copy(update={"model": model})
        return self.model_copy(update={"detector": detector})


class SettingsError(EtleError):
    pass


def load_settings(path: Path | None) -> DeviceSettings:
    if path is None:
        return DeviceSettings().resolved()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return DeviceSettings.model_validate(data).resolved()
    except OSError as exc:
        raise SettingsError(f"cannot read settings {path}: {exc.strerror}") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise SettingsError(f"settings {path} are invalid: {exc}") from exc
