"""Where the project's own files are: models/, calibration/ and the schema ship beside the code,
and a relative path in the settings means one of them wherever the box was started from."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = PROJECT_ROOT / "calibration" / "demo" / "site.yaml"  # what `run` and `selftest` use without --site


def in_project(path: Path) -> Path:
    """A relative path that does not exist from the working folder is the project's (models/...)."""
    if path.is_absolute() or path.exists():
        return path
    return PROJECT_ROOT / path
