"""Signed records on disk, as the outbox sees them: what to queue, and the messages that carry one.

The evidence root holds what `edge.evidence` wrote, already fsynced and atomically renamed:
    <root>/<event_id>/event.jws + media + event.json   a signed event
    <root>/<event_id>/event.json + media               an unsigned event: never sent, only reported
    <root>/gap-<seq>.jws                               a signed gap record
    <root>/.partial-*, <root>/.outbox.sqlite*          work in progress, the outbox itself: skipped
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from edge.contract.topics import Topics
from edge.errors import EtleError
from edge.ledger.signing import MalformedJwsError, unverified_payload
from edge.ledger.verify import EVENT_JWS

RecordKind = Literal["event", "gap"]
JOSE = "application/jose"


class MissingRecordError(EtleError):
    """A queued record's files are gone or unreadable on the box: it cannot be sent, only reported."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One signed record as the outbox queues it. `path` is relative to the evidence root."""

    event_id: str
    kind: RecordKind
    seq: int
    path: str
    bytes: int


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    content_type: str
    event_id: str
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.payload).hexdigest())


@dataclass(frozen=True, slots=True)
class Scan:
    """What a look at the evidence root found that the outbox did not know yet."""

    entries: tuple[Entry, ...] = ()
    unsigned: tuple[str, ...] = ()  # folders without event.jws (no signing key): kept on disk, never sent
    foreign: tuple[str, ...] = ()  # records signed by another device id: not ours to send
    unreadable: tuple[str, ...] = ()


def _read_jws(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise MissingRecordError(f"cannot read {path}: {exc}") from exc


def _folder_bytes(folder: Path) -> int:
    with os.scandir(folder) as entries:
        return sum(e.stat().st_size for e in entries if e.is_file())


def read_entry(root: Path, name: str) -> tuple[Entry, str]:
    """The entry of the record at root/name and the device id that signed it."""
    path = root / name
    is_gap = path.is_file()
    jws = _read_jws(path if is_gap else path / EVENT_JWS)
    try:
        payload = unverified_payload(jws)
        device, event_id = payload["device"], str(payload["event_id"])
        seq = int(device["seq"])
    except (MalformedJwsError, KeyError, TypeError, ValueError) as exc:
        raise MissingRecordError(f"{path} holds no signed record with event_id and device.seq: {exc}") from exc
    size = len(jws) if is_gap else _folder_bytes(path)
    return Entry(event_id, "gap" if is_gap else "event", seq, name, size), str(device.get("id"))


def scan(root: Path, device_id: str, known_paths: Container[str]) -> Scan:
    """Records under root that are not in known_paths, in seq order; unsigned and foreign ones apart."""
    if not root.is_dir():
        return Scan()
    entries: list[Entry] = []
    unsigned: list[str] = []
    foreign: list[str] = []
    unreadable: list[str] = []
    for child in sorted(root.iterdir()):
        name = child.name
        if name.startswith(".") or name in known_paths:
            continue
        if child.is_dir() and not (child / EVENT_JWS).exists():
            unsigned.append(name)
            continue
        if not child.is_dir() and not (name.startswith("gap-") and name.endswith(".jws")):
            continue
        try:
            entry, signer = read_entry(root, name)
        except MissingRecordError:
            unreadable.append(name)
            continue
        if signer == device_id:
            entries.append(entry)
        else:
            foreign.append(name)
    entries.sort(key=lambda e: e.seq)
    return Scan(tuple(entries), tuple(unsigned), tuple(foreign), tuple(unreadable))


def messages(root: Path, entry: Entry, topics: Topics) -> list[Message]:
    """The messages of one record: every media file in the signed order, then the JWS (DESIGN.md)."""
    path = root / entry.path
    if entry.kind == "gap":
        return [Message(topics.violation, _read_jws(path).encode("ascii"), JOSE, entry.event_id)]
    jws = _read_jws(path / EVENT_JWS)
    try:
        media = unverified_payload(jws).get("media") or []
        listed = [(str(item["name"]), str(item["content_type"])) for item in media]
    except (MalformedJwsError, KeyError, TypeError, AttributeError) as exc:
        raise MissingRecordError(f"{path / EVENT_JWS} lists no readable media: {exc}") from exc
    out = []
    for name, content_type in listed:
        try:
            data = (path / name).read_bytes()
        except OSError as exc:
            raise MissingRecordError(f"media {name} of {entry.event_id} is gone from {path}: {exc}") from exc
        out.append(Message(topics.media(entry.event_id, name), data, content_type, entry.event_id))
    out.append(Message(topics.violation, jws.encode("ascii"), JOSE, entry.event_id))
    return out
