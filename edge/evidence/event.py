"""The event document (schema `etle.violation/2`): what the back office receives and verifies.

Built from typed values at the very end; a plain JSON-ready dict is the wire format here.
Sequence number, key id and previous hash are added by `edge.ledger.seal` when the event
is signed. `plate` is the voted plate of the violating vehicle, or null; when it is null,
`plate_unreadable` says why (no plate found, too small, reads disagree, reading off) and lists
the raw reads, so an officer can still review the violation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from edge.clock import ClockSource
from edge.config.load import LoadedSite
from edge.config.site import SiteFile
from edge.core import ModelIdentity, Violation, ViolationKind

if TYPE_CHECKING:  # types only: the event module stays free of the ONNX and OCR imports
    from edge.plates.reader import PlateOutcome
    from edge.plates.vote import FrameRead

# /2 (issue 16): media items say which variant they are (original or redacted copy), `withheld`
# lists originals bound by sha256 but kept on the box, `privacy` records what the copies hide.
# Receivers verify /1 events still (edge.ledger.signing.SCHEMA_FILES keeps both).
SCHEMA = "etle.violation/2"
Variant = Literal["original", "redacted"]
# The violation kind whose article a restriction of each kind breaks (restricted_lane details name them).
RESTRICTION_ARTICLE: dict[str, ViolationKind] = {
    "lane_classes": "restricted_lane", "busway": "restricted_lane", "class_ban": "restricted_lane",
    "odd_even": "odd_even",
}


def articles(site: SiteFile, violation: Violation) -> list[str]:
    """Every article of law the act broke, each once, the violation kind's own first (one act,
    one charge: a lane that is a busway and bans the class is one event naming both provisions).
    The articles come from the site file's `articles`, else the defaults."""
    kinds = str(violation.details.get("restriction_kinds") or "").split(",")
    named = [site.article(violation.kind), *(site.article(RESTRICTION_ARTICLE[k]) for k in kinds
                                             if k in RESTRICTION_ARTICLE)]
    return list(dict.fromkeys(named))


@dataclass(frozen=True, slots=True)
class EventContext:
    """Everything an event carries that is fixed for the run."""

    site: LoadedSite
    device_id: str
    boot_id: str
    models: tuple[ModelIdentity, ...]
    clock: ClockSource
    software_version: str


@dataclass(frozen=True, slots=True)
class MediaItem:
    name: str
    role: str
    sha256: str
    bytes: int
    content_type: str
    frame_index: int
    captured_at: datetime
    variant: Variant = "original"
    source: str | None = None  # a redacted copy: the name of its original


@dataclass(frozen=True, slots=True)
class Privacy:
    """The event's privacy part: originals kept on the box (not published), and what the redacted
    copies hide (`edge.evidence.redaction.privacy_record`)."""

    withheld: tuple[MediaItem, ...]
    record: dict[str, Any]


def _media_json(m: MediaItem, tz: str) -> dict[str, Any]:
    item = {"name": m.name, "role": m.role, "sha256": m.sha256, "bytes": m.bytes, "content_type": m.content_type,
            "frame_index": m.frame_index, "captured_at": rfc3339(m.captured_at, tz), "variant": m.variant}
    if m.source is not None:
        item["source"] = m.source
    return item


def rfc3339(moment: datetime, timezone: str) -> str:
    """Local time of the site with its offset, millisecond precision.

    >>> from datetime import timezone as tz
    >>> rfc3339(datetime(2026, 1, 15, 0, 30, tzinfo=tz.utc), "Asia/Jakarta")
    '2026-01-15T07:30:00.000+07:00'
    """
    return moment.astimezone(ZoneInfo(timezone)).isoformat(timespec="milliseconds")


def new_event_id() -> str:
    return str(uuid.uuid4())


PLATE_OFF = "plate reading is off on this device"


def _read_json(read: FrameRead) -> dict[str, Any]:
    return {
        "frame_index": read.frame_index,
        "text": read.raw,
        "char_confidences": list(read.confidences),
        "normalized": read.plate.text if read.plate is not None else None,
        "box": [round(v, 1) for v in read.box],
        "detector_confidence": round(read.detector_confidence, 4),
        "colour": read.colour,
    }


def plate_fields(outcome: PlateOutcome | None) -> dict[str, Any]:
    """The event's `plate` (and, when it is null, `plate_unreadable`) from the reader's outcome."""
    if outcome is None:
        return {"plate": None, "plate_unreadable": {"reason": PLATE_OFF, "frames": [], "ocr_calls": 0, "reads": []}}
    trail = {"frames": list(outcome.frames), "ocr_calls": outcome.ocr_calls,
             "reads": [_read_json(r) for r in outcome.reads]}
    plate = outcome.plate
    if plate is None:
        return {"plate": None, "plate_unreadable": {"reason": outcome.reason or "unreadable", **trail}}
    return {"plate": {
        "text": plate.text,
        "formatted": plate.formatted,
        "region": plate.region,
        "province": plate.province,
        "area": plate.area,
        "category": plate.category,
        "colour": plate.colour,
        "confidence": plate.confidence,
        "char_confidences": list(plate.char_confidences),
        "votes": plate.votes,
        "format_valid": plate.format_valid,
        **trail,
    }}


def build_event(
    event_id: str, context: EventContext, violation: Violation, media: list[MediaItem],
    plate: PlateOutcome | None = None, privacy: Privacy | None = None,
) -> dict[str, Any]:
    """The event document; `plate` None means plate reading did not run (it is off); `privacy`
    None means no redacted copies were made (every original is in `media`, published)."""
    site = context.site.site
    tz = site.site.timezone
    clock = context.clock.status()
    return {
        "schema": SCHEMA,
        "event_id": event_id,
        "device": {"id": context.device_id, "boot_id": context.boot_id},
        "site": {
            "id": site.site.id,
            "name": site.site.name,
            "timezone": tz,
            "location": {"lat": site.site.location.lat, "lon": site.site.location.lon},
        },
        "camera_id": site.camera.id,
        "calibration": {"version": site.calibration.version, "sha256": context.site.sha256},
        "violation": {
            "type": violation.kind,
            "article": site.article(violation.kind),
            "articles": articles(site, violation),
            "detected_at": rfc3339(violation.detected_at, tz),
            "lane": violation.lane,
            "frame_index": violation.frame_index,
            "details": dict(violation.details),
        },
        "vehicle": {
            "class": violation.vehicle_class,
            "track_id": violation.track_id,
            "confidence": round(violation.confidence, 4),
            "box": [round(v, 1) for v in violation.box],
        },
        **plate_fields(plate),
        "media": [_media_json(m, tz) for m in media],
        **({} if privacy is None else {"withheld": [_media_json(m, tz) for m in privacy.withheld],
                                       "privacy": privacy.record}),
        "clock": {"source": clock.source, "synced": clock.synced, "offset_s": clock.offset_s},
        "models": [{"role": m.role, "file": m.file, "sha256": m.sha256} for m in context.models],
        "software": {"name": "etle-edge", "version": context.software_version},
    }
