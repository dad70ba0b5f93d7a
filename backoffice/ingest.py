"""Turning messages into stored records and receipts: wait for media, verify, deduplicate.

Verification is `edge.ledger.verify.verify_path` on the record laid out as the box lays it out
(signature with the device's public key, schema, media sha256 and size, the payload copy), so the
back office and `etle-edge verify` cannot disagree. Answers (DESIGN.md "Wire details"):
- `stored` once the record is durable here, and `stored` again for every duplicate of it;
- `rejected` with the failed checks for what no resend can fix (bad signature, unknown key,
  schema, media bytes that do not match the signed hashes, topic/payload mismatch, a seq that
  another record already holds);
- nothing while media are missing: the box resends after its timeout, and a rejection would
  make it give up on a record that only lost a message.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from typing import Any

from backoffice.store import Store, StoredRecord, StoreError, jws_digest
from edge.contract.receipts import Receipt
from edge.contract.topics import TopicRef
from edge.ledger.keys import KeyRing
from edge.ledger.signing import MalformedJwsError, unverified_payload
from edge.ledger.store import write_file
from edge.ledger.verify import EVENT_JSON, EVENT_JWS, verify_path

log = logging.getLogger(__name__)
GAP_SCHEMA = "etle.gap/1"


@dataclass(frozen=True, slots=True)
class IngestConfig:
    media_wait_s: float = 30.0  # how long an event waits for its media before it is dropped unanswered
    media_ttl_s: float = 300.0  # how long media wait for their event
    max_buffer_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Answer:
    """A receipt to publish on the receipt topic of `ref`'s camera."""

    ref: TopicRef
    receipt: Receipt


@dataclass
class IngestStats:
    records_received: int = 0  # violation-topic messages, duplicates included
    media_received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    dropped_waiting: int = 0  # events given up on because media did not come (no receipt: the box resends)
    unanswerable: int = 0  # not a JWS with an event_id: no receipt can name it


@dataclass
class _Buffer:
    since: float
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.files.values())


@dataclass(frozen=True, slots=True)
class _Waiting:
    ref: TopicRef
    jws: str
    claimed: dict[str, Any]
    since: float


def _summary(claimed: dict[str, Any]) -> str:
    if claimed.get("schema") == GAP_SCHEMA:
        missing = claimed.get("missing", {})
        return f"gap: seq {missing.get('first')}..{missing.get('last')} lost: {claimed.get('reason')}"
    v = claimed.get("violation", {})
    return f"{v.get('type')} at {v.get('detected_at')} lane {v.get('lane')}, {len(claimed.get('media', []))} media"


class Ingest:
    def __init__(self, store: Store, keys: KeyRing, config: IngestConfig) -> None:
        self._store = store
        self._keys = keys
        self._config = config
        self._media: dict[str, _Buffer] = {}
        self._waiting: dict[str, _Waiting] = {}
        self.stats = IngestStats()

    def on_media(self, ref: TopicRef, payload: bytes, now: float) -> list[Answer]:
        self.stats.media_received += 1
        event_id, name = ref.event_id, ref.name
        assert event_id is not None and name is not None  # parse_topic guarantees both for media
        if self._store.get(event_id) is not None:
            return []  # a resend of something stored: its event will get `stored` again
        self._media.setdefault(event_id, _Buffer(now)).files[name] = payload
        waiting = self._waiting.get(event_id)
        if waiting is not None and self._complete(waiting.claimed):
            del self._waiting[event_id]
            return self._verify(waiting, now)
        return []

    def on_record(self, ref: TopicRef, payload: bytes, now: float) -> list[Answer]:
        self.stats.records_received += 1
        try:
            jws = payload.decode("ascii").strip()
            claimed = unverified_payload(jws)
            event_id = claimed["event_id"]
            if not isinstance(event_id, str):
                raise TypeError("event_id is not a string")
        except (UnicodeDecodeError, MalformedJwsError, KeyError, TypeError) as exc:
            self.stats.unanswerable += 1
            log.warning("ignored a message on %s/%s/violation that names no event: %s", ref.site, ref.camera, exc)
            return []
        stored = self._store.get(event_id)
        if stored is not None:
            return [self._duplicate(ref, stored, jws)]
        waiting = _Waiting(ref, jws, claimed, now)
        if claimed.get("schema") != GAP_SCHEMA and not self._complete(claimed):
            self._waiting[event_id] = waiting
            return []
        return self._verify(waiting, now)

    def _duplicate(self, ref: TopicRef, stored: StoredRecord, jws: str) -> Answer:
        if stored.jws_sha256 != jws_digest(jws):
            return self._reject(ref, stored.event_id, "another record with this event_id is already stored")
        self.stats.duplicates += 1
        self._store.count_duplicate(stored.event_id)
        return Answer(ref, Receipt(stored.event_id, "stored", None))

    def _complete(self, claimed: dict[str, Any]) -> bool:
        names = {str(m.get("name")) for m in claimed.get("media") or [] if isinstance(m, dict)}
        have = self._media.get(str(claimed.get("event_id")))
        return bool(names) and have is not None and names <= set(have.files)

    def _reject(self, ref: TopicRef, event_id: str, reason: str) -> Answer:
        self.stats.rejected += 1
        log.warning("rejected %s from %s/%s: %s", event_id, ref.site, ref.camera, reason)
        self._store.reject(event_id, ref.site, ref.camera, reason)
        self._media.pop(event_id, None)
        return Answer(ref, Receipt(event_id, "rejected", reason))

    def _mismatch(self, waiting: _Waiting) -> str | None:
        claimed, ref = waiting.claimed, waiting.ref
        device = claimed.get("device")
        if not isinstance(device, dict) or not isinstance(device.get("seq"), int) or not device.get("id"):
            return "the record has no device.id and device.seq"
        if claimed.get("schema") != GAP_SCHEMA:
            site = claimed.get("site", {}).get("id") if isinstance(claimed.get("site"), dict) else None
            if (site, claimed.get("camera_id")) != (ref.site, ref.camera):
                return f"published on {ref.site}/{ref.camera} but the event is for {site}/{claimed.get('camera_id')}"
        holder = self._store.holder_of(str(device["id"]), int(device["seq"]))
        if holder is not None and holder != claimed["event_id"]:
            return f"seq {device['seq']} of device {device['id']} is already held by record {holder}"
        return None

    def _verify(self, waiting: _Waiting, now: float) -> list[Answer]:
        claimed, ref = waiting.claimed, waiting.ref
        event_id = str(claimed["event_id"])
        problem = self._mismatch(waiting)
        if problem is not None:
            return [self._reject(ref, event_id, problem)]
        device_id, seq = str(claimed["device"]["id"]), int(claimed["device"]["seq"])
        staged = self._store.staging()
        try:
            if claimed.get("schema") == GAP_SCHEMA:
                name = f"gap-{seq:012d}.jws"
                target = staged / name
                write_file(target, waiting.jws.encode("ascii") + b"\n")
            else:
                name = event_id
                target = staged / name
                target.mkdir()
                media = self._media.pop(event_id).files
                for item in claimed["media"]:
                    write_file(target / item["name"], media[item["name"]])
                write_file(target / EVENT_JWS, waiting.jws.encode("ascii"))
                pretty = json.dumps(claimed, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
                write_file(target / EVENT_JSON, pretty)
            report = verify_path(target, self._keys)
            if not report.ok:
                return [self._reject(ref, event_id, "; ".join(report.lines()[:3]) or "no signed record found")]
            lost = claimed.get("missing") if name.startswith("gap-") else None
            record = StoredRecord(event_id, device_id, seq, "gap" if lost else "event", ref.site, ref.camera,
                                  jws_digest(waiting.jws), f"records/{device_id}/{name}", _summary(claimed), now, 0,
                                  lost["first"] if lost else None, lost["last"] if lost else None)
            self._store.commit(target, record)
        except (OSError, KeyError, TypeError) as exc:
            # KeyError/TypeError: the media list is malformed, which the schema check would name; OSError:
            # our disk. Either way no receipt: the box resends, and a real schema problem is rejected then.
            log.error("could not verify or store %s: %s", event_id, exc)
            return []
        except StoreError as exc:
            log.error("%s", exc)
            return []
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        self.stats.stored += 1
        return [Answer(ref, Receipt(event_id, "stored", None))]

    def sweep(self, now: float) -> None:
        """Forget events that waited too long for media, and media that waited too long for events."""
        for event_id, waiting in list(self._waiting.items()):
            if now - waiting.since > self._config.media_wait_s:
                del self._waiting[event_id]
                self.stats.dropped_waiting += 1
                log.info("media of %s did not all arrive within %.0f s; no receipt, the box will resend",
                         event_id, self._config.media_wait_s)
        for event_id, buffer in list(self._media.items()):
            if now - buffer.since > self._config.media_ttl_s and event_id not in self._waiting:
                del self._media[event_id]
        total = sum(b.size for b in self._media.values())
        for event_id, buffer in sorted(self._media.items(), key=lambda item: item[1].since):
            if total <= self._config.max_buffer_bytes:
                break
            total -= buffer.size
            del self._media[event_id]

    @property
    def waiting(self) -> int:
        return len(self._waiting)
