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
from edge.evidence.assemble import Bundle, redacted_name
from edge.evidence.clip import CLIP_NAME, CLIP_TYPE
from edge.evidence.config import EvidenceConfig
from edge.evidence.event import EventContext, MediaItem, Privacy, build_event
from edge.evidence.redaction import privacy_record
from edge.ledger.journal import JOURNAL_FILE, DetectionJournal
from edge.ledger.seal import Sealer
from edge.ledger.store import write_event_folder
from edge.privacy.config import Publish
from edge.sources import Frame


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


def _media(name: str, role: str, data: bytes, content_type: str, frame: Frame, source: str | None) -> MediaItem:
    return MediaItem(name=name, role=role, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data),
                     content_type=content_type, frame_index=frame.index, captured_at=frame.captured_at,
                     variant="original" if source is None else "redacted", source=source)


def published(media: list[MediaItem], publish: Publish) -> tuple[list[MediaItem], list[MediaItem]]:
    """(what is published, what stays on the box): `redacted` withholds every original but the
    plate crop (it shows the violator's plate only), also one whose copy could not be made (a clip
    that failed to encode is not published at all); `both` withholds nothing. Originals come first
    in `media`, so a reader keying by role sees the redacted copy last."""
    if publish == "both":
        return media, []
    kept = [m for m in media if m.variant == "original" and m.role != "plate"]
    return [m for m in media if m not in kept], kept


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
        for shot in (*bundle.shots, *bundle.redacted):
            data = encode_jpeg(shot.image, self._config.jpeg_quality)
            files[shot.name] = data
            media.append(_media(shot.name, shot.role, data, "image/jpeg", shot.frame, shot.source))
        redaction = bundle.redaction
        clips = [(CLIP_NAME, bundle.clip, None),
                 (redacted_name(CLIP_NAME), redaction.clip if redaction is not None else None, CLIP_NAME)]
        for name, clip, source in clips:
            if clip and bundle.clip_start is not None:  # dated by its first frame
                files[name] = clip
                media.append(_media(name, "clip", clip, CLIP_TYPE, bundle.clip_start, source))
        violation = bundle.violation
        privacy = None
        if redaction is not None:
            media, withheld = published(media, self._config.privacy.publish)
            privacy = Privacy(tuple(withheld), privacy_record(redaction, self._config.privacy.publish))
        event = build_event(event_id, self._context, violation, media, bundle.plate, privacy)
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
