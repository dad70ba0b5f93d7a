"""Small synthetic evidence, signed for real: the real keys, Sealer (chain), and evidence store.

Only the media are made up (two small binary files); the rest of the document is a copy of one
the real event builder made (tests.delivery.template), read from a file, so a box process that
starts in half a second can sign and queue hundreds of events per second. It does not import
the vision stack on purpose: the box-kill tests restart this process hundreds of times.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.ledger.chain import ChainState
from edge.ledger.config import CHAIN_FILE
from edge.ledger.keys import KeyInfo, generate_keys
from edge.ledger.seal import Sealer
from edge.ledger.store import write_event_folder

DEVICE_ID = "etle-test-0001"
SITE, CAMERA = "t-01", "cam-01"
TEMPLATE_FILE = "event-template.json"
OCTETS = "application/octet-stream"


def make_keys(key_dir: Path, device_id: str = DEVICE_ID) -> KeyInfo:
    info = generate_keys(key_dir)
    ChainState.open(key_dir / CHAIN_FILE, device_id, create=True).close()
    return info


def committed_seq(key_dir: Path) -> int:
    return int(json.loads((key_dir / CHAIN_FILE).read_text())["committed_seq"])


# Media named like the real writer's carry its content types (the bytes stay random).
CONTENT_TYPES = {".jpg": "image/jpeg", ".mp4": "video/mp4"}


def media(index: int, size: int, typed: bool = False) -> dict[str, bytes]:
    rng = random.Random(index)
    names = ("overview_at.jpg", "clip.mp4") if typed else ("overview_at.bin", "vehicle.bin")
    return {names[0]: rng.randbytes(size), names[1]: rng.randbytes(max(1, size // 2))}


def load_template(workdir: Path) -> dict[str, Any]:
    """The event shape tests.delivery.template wrote into workdir."""
    template: dict[str, Any] = json.loads((workdir / TEMPLATE_FILE).read_text())
    return template


def event_document(template: dict[str, Any], event_id: str, index: int, files: dict[str, bytes],
                   device_id: str = DEVICE_ID) -> dict[str, Any]:
    """A copy of a real event with its own id, device and media (the rest as the builder made it)."""
    doc = copy.deepcopy(template)
    doc["event_id"] = event_id
    doc["device"] = {"id": device_id, "boot_id": "synthetic"}
    doc["violation"]["frame_index"] = index
    item = template["media"][0]
    doc["media"] = [{**item, "name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                     "content_type": CONTENT_TYPES.get(Path(name).suffix, OCTETS)} for name, data in files.items()]
    return doc


@dataclass(frozen=True, slots=True)
class Written:
    """Shaped like edge.evidence.writer.EvidenceRecord, as far as delivery looks at it."""

    event_id: str
    folder: Path
    signed: bool = True


def emit(sealer: Sealer, root: Path, index: int, template: dict[str, Any], media_bytes: int = 512,
         device_id: str = DEVICE_ID) -> Written:
    """Sign, store and commit one event, in the order of edge.ledger.seal."""
    return emit_files(sealer, root, index, template, media(index, media_bytes), device_id)


def emit_files(sealer: Sealer, root: Path, index: int, template: dict[str, Any], files: dict[str, bytes],
               device_id: str = DEVICE_ID) -> Written:
    """`emit` with these media files."""
    event_id = str(uuid.uuid4())
    sealed = sealer.seal(event_id, event_document(template, event_id, index, files, device_id))
    folder = write_event_folder(root, event_id, {**files, "event.jws": sealed.jws.encode("ascii")}, sealed.event)
    sealer.commit(sealed)
    return Written(event_id, folder)
