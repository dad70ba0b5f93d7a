"""Durable evidence folders: every file fsynced, the folder appearing whole or not at all.

A folder is written under a `.partial-` name and renamed when `event.json` is in place, so
a reader (or the outbox) never sees half an event; a crash leaves only a `.partial-` folder,
which `incomplete()` reports instead of silently ignoring.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from edge.errors import EvidenceError

PARTIAL_PREFIX = ".partial-"


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes, read in 1 MiB chunks (models and clips can be large):
    the hash every event, model identity and check in the project uses."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a new or renamed file) durable: fsync on the file alone is not enough."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: Path, data: bytes) -> None:
    """Write and fsync a file's bytes (its folder entry needs `fsync_dir` too)."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_event_folder(root: Path, event_id: str, files: dict[str, bytes], event: dict[str, Any]) -> Path:
    """Write media files and event.json into root/event_id atomically; return the folder."""
    final = root / event_id
    partial = root / f"{PARTIAL_PREFIX}{event_id}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        if partial.exists():  # left by an earlier failed attempt at this same event: start over
            shutil.rmtree(partial)
        partial.mkdir()
        for name, data in files.items():
            write_file(partial / name, data)
        body = json.dumps(event, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        write_file(partial / "event.json", body)
        fsync_dir(partial)
        partial.rename(final)
        fsync_dir(root)
    except OSError as exc:
        raise EvidenceError(f"cannot write evidence {event_id} under {root}: {exc}") from exc
    return final


def incomplete(root: Path) -> list[Path]:
    """Folders a crash left half-written."""
    return sorted(root.glob(f"{PARTIAL_PREFIX}*")) if root.is_dir() else []
