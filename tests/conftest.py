"""Shared fixtures: paths to the bundled assets, and helpers that build real inputs."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "calibration" / "demo"
MODELS = ROOT / "models"

# onnxruntime writes a telemetry cache on first session; keep it out of the home folder.
os.environ.setdefault("XDG_CACHE_HOME", str(ROOT / ".venv" / "cache"))


@pytest.fixture(scope="session")
def demo_site_path() -> Path:
    return DEMO / "site.yaml"


def ultralytics_asset(name: str) -> Path:
    """A photo shipped inside the ultralytics wheel (the `ultralytics` extra scripts/test installs)."""
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or spec.origin is None:
        pytest.fail("ultralytics is not installed: run scripts/test, which installs every extra")
    path = Path(spec.origin).parent / "assets" / name
    assert path.is_file(), f"{path} missing from the ultralytics wheel"
    return path
