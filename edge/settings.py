"""Device settings: how this box runs (models, thresholds, folders), as opposed to the site
file, which says what the camera sees. Every field has a default that runs the bundled demo.

Kept apart from `edge.config` because it gathers each stage's own config model, and those
stages import the site-file types.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge.delivery.config import DeliveryConfig
from edge.detect.config import CenterNetConfig, DetectorConfig, SignalControllerConfig, SignalVisionConfig
from edge.errors import EtleError
from edge.evidence.config import EvidenceConfig
from edge.ledger.config import SigningConfig
from edge.logs import LoggingConfig
from edge.metrics.config import MetricsConfig
from edge.paths import in_project
from edge.rules.config import RulesConfig
from edge.tamper.config import TamperConfig
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
    tamper: TamperConfig = Field(default_factory=TamperConfig, title="View watch",
                                 description="Frozen, black, white, blurred or moved picture: fail-safe (edge.tamper).")
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig, title="Evidence")
    signing: SigningConfig = Field(default_factory=SigningConfig, title="Signing")
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig, title="Delivery",
                                     description="MQTT broker, outbox and status (edge.delivery).")
    logging: LoggingConfig = Field(default_factory=LoggingConfig, title="Log",
                                   description="Level and line format (edge.logs).")
    metrics: MetricsConfig = Field(default_factory=MetricsConfig, title="Metrics",
                                   description="The Prometheus endpoint (edge.metrics).")

    @model_validator(mode="after")
    def _plates_read_enough_for_odd_even(self) -> DeviceSettings:
        # The reader stops once `settled_after` frames agree; an odd-even verdict needs
        # `min_plate_votes` agreeing frames. Fewer and every odd-even suspect would go unjudged.
        settled, needed = self.evidence.plates.settled_after, self.rules.odd_even.min_plate_votes
        if settled < needed:
            raise ValueError(f"evidence.plates.settled_after ({settled}) is below rules.odd_even.min_plate_votes "
                             f"({needed}): the reader would stop before an odd-even verdict has its votes")
        return self

    def with_evidence_dir(self, directory: Path) -> DeviceSettings:
        """These settings writing evidence (and the outbox) under `directory` (--evidence-dir, tests)."""
        return self.model_copy(update={"evidence": self.evidence.model_copy(update={"directory": directory})})

    def resolved(self) -> DeviceSettings:
        """Relative model paths are relative to the project (models/ ships with it)."""
        model = in_project(self.detector.model)
        if model == self.detector.model:
            return self
        detector = self.detector.model_copy(update={"model": model})
        return self.model_copy(update={"detector": detector})


class SettingsError(EtleError):
    pass


# ETLE__DELIVERY__BROKER__HOST=10.0.0.5 overrides delivery.broker.host of the settings file: how a
# container or a systemd unit sets a value (a secret's *path*, a broker address) without a new file.
ENV_PREFIX = "ETLE__"


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """The `ENV_PREFIX` variables as nested settings: the name's parts, lower-cased, are the path
    (`__` between them), the value is read as YAML (`30`, `true`, `[0.5, 1.6]`, a plain string).

    >>> env_overrides({"ETLE__DELIVERY__BROKER__PORT": "8883", "ETLE__DEVICE_ID": "box-7", "HOME": "/root"})
    {'delivery': {'broker': {'port': 8883}}, 'device_id': 'box-7'}
    """
    out: dict[str, Any] = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        path = name.removeprefix(ENV_PREFIX).lower().split("__")
        if not all(path):
            raise SettingsError(f"environment variable {name}: an empty part in its name")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise SettingsError(f"environment variable {name}: not a YAML value ({exc})") from exc
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise SettingsError(f"environment variable {name}: {part} is set to a value by another variable")
        node[path[-1]] = value
    return out


def _merged(base: dict[str, Any], over: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """`over` laid on `base`. A section `over` reaches into that `base` leaves out starts from its
    defaults (`defaults`, the same place in the default settings), so one variable can set one field
    of it: ETLE__DETECTOR__ORT__PROVIDERS alone keeps the default detector's type and model."""
    out = dict(base)
    for key, value in over.items():
        default = defaults.get(key)
        default = default if isinstance(default, dict) else {}
        if isinstance(value, dict):
            below = out.get(key)
            out[key] = _merged(below if isinstance(below, dict) else default, value, default)
        else:
            out[key] = value
    return out


def load_settings(path: Path | None, environ: Mapping[str, str] | None = None) -> DeviceSettings:
    """The settings file (None: the defaults) with the `ENV_PREFIX` variables of `environ` (default:
    this process's environment) over it. Unknown names are refused like unknown keys in the file."""
    environ = os.environ if environ is None else environ
    overrides = env_overrides(environ)
    where = f"settings {path}" if path is not None else "settings"
    if overrides:
        where += f" with {', '.join(sorted(n for n in environ if n.startswith(ENV_PREFIX)))}"
    try:
        data = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path is not None else {}
        if not isinstance(data, dict):
            raise SettingsError(f"{where} are invalid: the file holds a {type(data).__name__}, not a mapping")
        defaults = DeviceSettings().model_dump(mode="json")
        return DeviceSettings.model_validate(_merged(data, overrides, defaults)).resolved()
    except OSError as exc:
        raise SettingsError(f"cannot read settings {path}: {exc.strerror}") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise SettingsError(f"{where} are invalid: {exc}") from exc
