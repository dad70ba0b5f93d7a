"""The back office's privacy settings (UU PDP 27/2022): who may open an original, for how long,
and how long a rejected record is kept. One YAML (or JSON) file, parsed once at start; a
misspelt key is an error, as in the box's settings.

    originals:
      roles: [supervisor, admin]
      grant_s: 600
      min_reason: 15
    retention:
      rejected_days: 30
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.errors import EtleError

Role = Literal["reviewer", "supervisor", "admin"]


class SettingsError(EtleError):
    """The back office settings file cannot be read or breaks a rule: the message names the key."""


class OriginalsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: tuple[Role, ...] = Field(
        default=("supervisor", "admin"), title="Roles that may open an original",
        description="An officer of another role sees the redacted copies only, and no link to an original.",
    )
    grant_s: float = Field(
        default=600.0, gt=0, le=86400, title="Grant validity",
        description="How long, in seconds, one opening (one reason) lets that officer see that one file.",
    )
    min_reason: int = Field(
        default=15, ge=1, le=500, title="Shortest reason",
        description="Characters an officer must write to open an original: the audit log keeps the reason.",
    )


class RetentionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rejected_days: float = Field(
        default=30.0, ge=0, title="Rejected records kept",
        description="Days after its rejection that a rejected record is purged (`python -m backoffice purge`); "
        "approved records are kept, pending ones are never purged.",
    )


class BackofficeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    originals: OriginalsSettings = Field(default_factory=OriginalsSettings, title="Originals")
    retention: RetentionSettings = Field(default_factory=RetentionSettings, title="Retention")


def load_settings(path: Path | None) -> BackofficeSettings:
    """The settings in `path` (YAML or JSON), or the defaults when there is none."""
    if path is None:
        return BackofficeSettings()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return BackofficeSettings.model_validate(data)
    except OSError as exc:
        raise SettingsError(f"cannot read the back office settings {path}: {exc}") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise SettingsError(f"{path}: {exc}") from exc
