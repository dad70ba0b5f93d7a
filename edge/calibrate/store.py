"""Reading and saving site files for the calibration tool.

A save never leaves a half-written file: the new text goes to a temporary file beside the
site file, is fsynced and renamed over it. The version before it is copied first into
``history/`` beside the file, named by its version and the start of its sha256, so every
calibration that ever issued a ticket can be found again by the sha256 its events carry.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from edge.config.checks import Problem
from edge.config.load import parse_site
from edge.config.site import SiteFile
from edge.errors import EtleError

HISTORY_DIR = "history"
HEADER = (
    "# Site file (etle.site/1, schema: calibration/site.schema.json), written by `etle-edge calibrate`.\n"
    "# Earlier versions are in history/ beside this file.\n"
)


class SaveConflict(EtleError):
    """The file changed on disk after the page loaded it; reload the page and redo the change."""


class SaveRefused(EtleError):
    """The draft has problems; the file on disk is unchanged. `problems` says what to fix."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"not saved: {len(problems)} problem(s); first: {problems[0]}")


@dataclass(frozen=True, slots=True)
class SiteDocument:
    """A site file as read: its raw data (valid or not), its sha256, and whether it exists yet."""

    data: object
    sha256: str
    exists: bool


@dataclass(frozen=True, slots=True)
class Saved:
    sha256: str
    version: int
    history: Path | None


def sha256_hex(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def read_document(path: Path, template: dict[str, Any]) -> SiteDocument:
    """The file's data, or `template` when there is no file yet (a new intersection)."""
    if not path.exists():
        return SiteDocument(template, sha256_hex(b""), exists=False)
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise EtleError(f"{path} is not valid YAML ({exc}); fix it in an editor first") from exc
    return SiteDocument(data, sha256_hex(raw), exists=True)


class _FlowDumper(yaml.SafeDumper):
    """Lists of numbers and strings on one line (a polygon is one row), mappings as blocks."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flat = not any(isinstance(item, dict) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


_FlowDumper.add_representer(list, _represent_list)


def dump_site(site: SiteFile) -> str:
    body = yaml.dump(site.model_dump(mode="json"), Dumper=_FlowDumper, sort_keys=False, width=110,
                     allow_unicode=True)
    return HEADER + body


def _version_of(data: object) -> int | None:
    cal = data.get("calibration") if isinstance(data, dict) else None
    version = cal.get("version") if isinstance(cal, dict) else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def _atomic_write(path: Path, raw: bytes, mode: int | None = None) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself must survive a power cut
    finally:
        os.close(dir_fd)


def save_site(path: Path, data: object, base_sha256: str) -> Saved:
    """Validate the draft, bump the version past the file's, keep the old file in history, write.

    `base_sha256` is the sha256 of the file the draft was made from; a different file on
    disk means someone else saved meanwhile, and overwriting it would lose their change.
    """
    old_raw = path.read_bytes() if path.exists() else None
    if sha256_hex(old_raw or b"") != base_sha256:
        raise SaveConflict(f"{path} changed on disk since the page loaded it; reload the page and redo the change")
    old_version = _version_of(yaml.safe_load(old_raw)) if old_raw else None
    draft_version = _version_of(data) or 0
    version = max(old_version or 0, draft_version) + 1 if old_raw else max(draft_version, 1)
    if isinstance(data, dict) and isinstance(data.get("calibration"), dict):
        data = {**data, "calibration": {**data["calibration"], "version": version}}
    site, problems = parse_site(data)
    if problems or site is None:
        raise SaveRefused(problems)
    history = None
    if old_raw is not None:
        history = path.parent / HISTORY_DIR / f"{path.stem}.v{old_version or 0}.{sha256_hex(old_raw)[:12]}{path.suffix}"
        history.parent.mkdir(exist_ok=True)
        _atomic_write(history, old_raw)
    raw = dump_site(site).encode("utf-8")
    _atomic_write(path, raw, path.stat().st_mode & 0o7777 if old_raw is not None else None)
    return Saved(sha256=sha256_hex(raw), version=version, history=history)
