"""Violations detected but not yet written, kept on disk so a crash cannot lose them unseen.

A violation waits in memory for the frames after it (2 s for the clip) and for its plate read
before its folder is written and it takes a sequence number; a crash in that window used to
lose it without a trace. Each is appended here (fsynced) when detected and marked done once
its folder is stored (or its loss declared otherwise); at the next start `recover_unstored`
declares whatever is still open lost, in signed gap records whose reasons say what each was.
One JSON object per line; a line torn by the crash itself is ignored (its violation was never
acknowledged by anything).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import IO

from edge.ledger.seal import Sealer

JOURNAL_FILE = ".pending.jsonl"


def open_entries(path: Path) -> dict[str, str]:
    """The journal's violations not marked done: event id → what it was."""
    if not path.is_file():
        return {}
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue  # the line the crash tore
        if isinstance(item, dict) and isinstance(item.get("add"), str):
            entries[item["add"]] = str(item.get("what", ""))
        elif isinstance(item, dict) and isinstance(item.get("done"), str):
            entries.pop(item["done"], None)
    return entries


class DetectionJournal:
    """Opened on the first entry; `close` removes the file when nothing in it is open any more."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def _append(self, item: dict[str, str]) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - held until close()
            if self._file.tell() > 0 and not self.path.read_bytes().endswith(b"\n"):
                self._file.write("\n")  # end a line torn by a crash, or our first entry would join it
        self._file.write(json.dumps(item) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def add(self, event_id: str, what: str) -> None:
        self._append({"add": event_id, "what": what})

    def done(self, event_id: str) -> None:
        self._append({"done": event_id})

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if not open_entries(self.path):
            self.path.unlink(missing_ok=True)


def recover_unstored(root: Path, sealer: Sealer, now: datetime) -> list[Path]:
    """At startup: declare every violation the last run detected but never stored lost, each in
    its own signed gap record; then start the journal afresh. Safe to repeat after a crash here:
    each declared one is marked done before the next."""
    path = root / JOURNAL_FILE
    entries = open_entries(path)
    gaps = []
    if entries:
        journal = DetectionJournal(path)
        try:
            for event_id, what in entries.items():
                gaps.append(sealer.declare_lost(root, f"lost when the box stopped before its evidence was "
                                                      f"written: {what}", now))
                journal.done(event_id)
        finally:
            journal.close()
    path.unlink(missing_ok=True)
    return gaps
