"""The privacy settings: what leaves the box is one of two words, a misspelt key is refused, and the
environment can switch a box to publishing both."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.settings import DeviceSettings, SettingsError, load_settings


@pytest.mark.parametrize(
    ("privacy", "error"),
    [({}, None), ({"publish": "both"}, None), ({"enabled": False}, None),
     ({"publish": "originals"}, "publish"), ({"pubish": "both"}, "pubish"), ({"cell_px": 2}, "cell_px")],
    ids=["defaults", "both", "off", "unknown mode", "misspelt key", "cells too small to hide"],
)
def test_privacy_settings(tmp_path: Path, privacy: dict[str, object], error: str | None) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text(f"evidence:\n  privacy: {privacy!r}\n".replace("'", '"') if privacy else "{}\n")
    if error is None:
        settings = load_settings(path, environ={})
        assert settings.evidence.privacy.publish == privacy.get("publish", "redacted")
    else:
        with pytest.raises(SettingsError, match=error):
            load_settings(path, environ={})


def test_the_default_publishes_redacted_copies_only() -> None:
    privacy = DeviceSettings().evidence.privacy
    assert (privacy.enabled, privacy.publish) == (True, "redacted")


def test_an_environment_variable_switches_to_both() -> None:
    settings = load_settings(None, environ={"ETLE__EVIDENCE__PRIVACY__PUBLISH": "both"})
    assert settings.evidence.privacy.publish == "both"
