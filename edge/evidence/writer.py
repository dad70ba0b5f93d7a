"""Writes assembled evidence: JPEG-encode the pictures, hash every file into the event, sign it
into the chain (with a `Sealer`), store the folder whole, and journal what was detected until it
is stored (`edge.ledger.journal`), so a crash between the two is declared, never hidden.

Without a sealer the evidence is unsigned: recorded, but not fit to send.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.core import Violation
from edge.errors import EtleError
from edge.evidence.assemble import Bundle
from edge.evidence.clip import CLIP_NAME, CLIP_TYPE
from edge.evidence.config import EvidenceConfig
from edge.evidence.event import EventContext, MediaItem, build_event
from edge.ledger.journal import JOURNAL_FILE, DetectionJournal
from edge.ledger.seal import Sealer
from edge.ledger.store import write_event_folder


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    event_id: str
    folder: Path
    violation: Violation
    event: dict[str, object]
    signed: bool


def encode_jpeg(image: NDArray[np.uint8], quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(buf.tobytes())


def _media(name: str, role: str, data: bytes, content_type: str, frame_index: int, at: datetime) -> MediaItem:
    return MediaItem(name=name, role=role, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data),
                     content_type=content_type, frame_index=frame_index, captured_at=at)


class EvidenceWriter:
    def __init__(self, context: EventContext, config: EvidenceConfig, sealer: Sealer | None) -> None:
        self._context = context
        self._config = config
        self._sealer = sealer
        # Signed boxes journal what they detected until it is stored (see edge.ledger.journal).
        self._journal = DetectionJournal(config.directory / JOURNAL_FILE) if sealer is not None else None

    def detected(self, event_id: str, violation: Violation) -> None:
        """A violation is owed a folder: journalled, so a crash before it is stored is declared."""
        if self._journal is not None:
            self._journal.add(event_id, violation.describe())

    def write(self, event_id: str, bundle: Bundle) -> EvidenceRecord:
        """Encode, sign and store one folder. Raises EvidenceError (the disk) with nothing committed:
        the caller retries later with the same event id, whose sequence number stays reserved."""
        files: dict[str, bytes] = {}
        media: list[MediaItem] = []
        for shot in bundle.shots:
            data = encode_jpeg(shot.image, self._config.jpeg_quality)
            files[shot.name] = data
            media.append(_media(shot.name, shot.role, data, "image/jpeg", shot.frame.index, shot.frame.captured_at))
        if bundle.clip is not None and bundle.clip_start is not None:  # dated by its first frame
            files[CLIP_NAME] = bundle.clip
            media.append(_media(CLIP_NAME, "clip", bundle.clip, CLIP_TYPE, bundle.clip_start.index,
                                bundle.clip_start.captured_at))
        violation = bundle.violation
        event = build_event(event_id, self._context, violation, media, bundle.plate)
        directory = self._config.directory
        if self._sealer is None:
            folder = write_event_folder(directory, event_id, files, event)
            record = EvidenceRecord(event_id, folder, violation, event, signed=False)
        else:
            sealed = self._sealer.seal(event_id, event)
            files["event.jws"] = sealed.jws.encode("ascii")
            folder = write_event_folder(directory, event_id, files, sealed.event)
            self._sealer.commit(sealed)  # only once stored: see edge.ledger.seal
            record = EvidenceRecord(event_id, folder, violation, sealed.event, signed=True)
        self._done(event_id)
        return record

    def declare_lost(self, event_ids: list[str], at: datetime) -> str | None:
        """End of a run with folders that could not be stored: their reserved sequence numbers are
        declared lost in one signed gap record, so the chain shows the hole instead of hiding it.
        Returns what went wrong, or None."""
        if not event_ids or self._sealer is None:
            return None
        lost = ", ".join(event_ids)
        try:
            self._sealer.record_gap(self._config.directory, f"evidence could not be stored: {lost}", at)
        except (OSError, EtleError) as exc:
            return f"the gap record for {lost} could not be stored either: {exc}"
        for event_id in event_ids:  # declared: not for the next start to declare again
            self._done(event_id)
        return None

    def _done(self, event_id: str) -> None:
        if self._journal is not None:
            self._journal.done(event_id)

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
