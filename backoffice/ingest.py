"""Turning messages into stored records and receipts: wait for media, verify, deduplicate.

Verification is `edge.ledger.verify.verify_path` on the record laid out as the box lays it out
(signature with the device's public key, schema, media sha256 and size, the payload copy), so the
back office and `etle-edge verify` cannot disagree. Answers (DESIGN.md "Wire details"):
- `stored` once the record is committed here, and `stored` again for every duplicate of it;
- `rejected` with the failed checks for what no resend can fix (bad signature, unknown key,
  schema, media bytes that do not match the signed hashes, topic/payload mismatch, a seq that
  another record already holds);
- nothing while media are missing: the box resends after its timeout, and a rejection would
  make it give up on a record that only lost a message.

The pieces that wait are kept in the store (backoffice.pending), not in this process: with several
workers on one shared subscription, whichever worker receives the last piece of a record verifies
and stores it, and the store's constraints keep a record that two workers complete at once stored
once.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backoffice.pending import Pending, place_blob
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
    redo_after_s: float = 3.0  # a complete record not stored this long after its event came: a worker died


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
    redone: int = 0  # complete records another (dead) worker had not stored, stored by this one


def _summary(claimed: dict[str, Any]) -> str:
    if claimed.get("schema") == GAP_SCHEMA:
        missing = claimed.get("missing", {})
        return f"gap: seq {missing.get('first')}..{missing.get('last')} lost: {claimed.get('reason')}"
    v = claimed.get("violation", {})
    return f"{v.get('type')} at {v.get('detected_at')} lane {v.get('lane')}, {len(claimed.get('media', []))} media"


def _queue_fields(claimed: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(violation kind, plate, detected_at) for the officers' filters."""
    violation: dict[str, Any] = claimed["violation"] if isinstance(claimed.get("violation"), dict) else {}
    plate: dict[str, Any] = claimed["plate"] if isinstance(claimed.get("plate"), dict) else {}
    text = plate.get("text") if plate else None
    return violation.get("type"), str(text) if text else None, violation.get("detected_at")


def _media_names(claimed: dict[str, Any]) -> set[str]:
    return {str(m.get("name")) for m in claimed.get("media") or [] if isinstance(m, dict)}


class Ingest:
    def __init__(self, store: Store, keys: KeyRing, config: IngestConfig) -> None:
        self._store = store
        self._keys = keys
        self._config = config
        self.store = store
        self._pending = Pending(store)
        self.stats = IngestStats()

    def on_media(self, ref: TopicRef, payload: bytes, now: float) -> list[Answer]:
        self.stats.media_received += 1
        event_id, name = ref.event_id, ref.name
        assert event_id is not None and name is not None  # parse_topic guarantees both for media
        if self._store.get(event_id) is not None:
            return []  # a resend of something stored: its event will get `stored` again
        self._pending.add_media(event_id, name, payload, now)
        return self._try(event_id, now)

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
        self._pending.add_event(event_id, ref.site, ref.camera, jws, now)
        return self._try(event_id, now)

    def _try(self, event_id: str, now: float) -> list[Answer]:
        """Verify and store the record if its event and all its media are here (in any worker)."""
        waiting = self._pending.event(event_id)
        if waiting is None:
            return []
        site, camera, jws, _ = waiting
        claimed = unverified_payload(jws)
        media = self._pending.media(event_id)
        if claimed.get("schema") != GAP_SCHEMA and not (_media_names(claimed) and _media_names(claimed) <= set(media)):
            return []
        return self._verify(TopicRef(site, camera, "violation"), jws, claimed, media, now)

    def _duplicate(self, ref: TopicRef, stored: StoredRecord, jws: str) -> Answer:
        if stored.jws_sha256 != jws_digest(jws):
            return self._reject(ref, stored.event_id, "another record with this event_id is already stored")
        self.stats.duplicates += 1
        self._store.count_duplicate(stored.event_id)
        return Answer(ref, Receipt(stored.event_id, "stored", None))

    def _reject(self, ref: TopicRef, event_id: str, reason: str) -> Answer:
        self.stats.rejected += 1
        log.warning("rejected %s from %s/%s: %s", event_id, ref.site, ref.camera, reason)
        self._store.reject(event_id, ref.site, ref.camera, reason)
        return Answer(ref, Receipt(event_id, "rejected", reason))

    def _mismatch(self, ref: TopicRef, claimed: dict[str, Any]) -> str | None:
        device = claimed.get("device")
        if not isinstance(device, dict) or not isinstance(device.get("seq"), int) or not device.get("id"):
            return "the record has no device.id and device.seq"
        if claimed.get("schema") != GAP_SCHEMA:
            site = claimed.get("site", {}).get("id") if isinstance(claimed.get("site"), dict) else None
            if (site, claimed.get("camera_id")) != (ref.site, ref.camera):
                return f"published on {ref.site}/{ref.camera} but the event is for {site}/{claimed.get('camera_id')}"
        return self._seq_taken(claimed)

    def _seq_taken(self, claimed: dict[str, Any]) -> str | None:
        device = claimed["device"]
        holder = self._store.holder_of(str(device["id"]), int(device["seq"]))
        if holder is not None and holder != claimed["event_id"]:
            return f"seq {device['seq']} of device {device['id']} is already held by record {holder}"
        return None

    def _stage(self, jws: str, claimed: dict[str, Any], media: dict[str, str]) -> tuple[str, Any]:
        """The record laid out as the box lays it out, in a staging folder: (its name, its path)."""
        staged = self._store.staging()
        if claimed.get("schema") == GAP_SCHEMA:
            name = f"gap-{int(claimed['device']['seq']):012d}.jws"
            write_file(staged / name, jws.encode("ascii") + b"\n")
            return name, staged / name
        name = str(claimed["event_id"])
        target = staged / name
        target.mkdir()
        for item in claimed["media"]:
            if Path(item["name"]).name != item["name"]:
                raise KeyError(f"medium name {item['name']!r} is not a plain file name")
            place_blob(self._store.root, media[item["name"]], target / item["name"])
        write_file(target / EVENT_JWS, jws.encode("ascii"))
        pretty = json.dumps(claimed, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        write_file(target / EVENT_JSON, pretty)
        return name, target

    def _verify(self, ref: TopicRef, jws: str, claimed: dict[str, Any], media: dict[str, str],
                now: float) -> list[Answer]:
        event_id = str(claimed["event_id"])
        problem = self._mismatch(ref, claimed)
        if problem is not None:
            return [self._reject(ref, event_id, problem)]
        device_id, seq = str(claimed["device"]["id"]), int(claimed["device"]["seq"])
        staged = None
        try:
            name, target = self._stage(jws, claimed, media)
            staged = target.parent
            report = verify_path(target, self._keys)
            if not report.ok:
                return [self._reject(ref, event_id, "; ".join(report.lines()[:3]) or "no signed record found")]
            lost = claimed.get("missing") if name.startswith("gap-") else None
            record = StoredRecord(event_id, device_id, seq, "gap" if lost else "event", ref.site, ref.camera,
                                  jws_digest(jws), f"records/{device_id}/{name}", _summary(claimed), now, 0,
                                  lost["first"] if lost else None, lost["last"] if lost else None,
                                  *_queue_fields(claimed))
            if not self._store.commit(target, record):
                return self._taken(ref, jws, claimed)
        except (OSError, KeyError, TypeError) as exc:
            # KeyError/TypeError: the media list is malformed, which the schema check would name; OSError:
            # our disk. Either way no receipt: the box resends, and a real schema problem is rejected then.
            log.error("could not verify or store %s: %s", event_id, exc)
            return []
        except StoreError as exc:
            log.error("%s", exc)
            return []
        finally:
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)
        self.stats.stored += 1
        return [Answer(ref, Receipt(event_id, "stored", None))]

    def _taken(self, ref: TopicRef, jws: str, claimed: dict[str, Any]) -> list[Answer]:
        """Another worker stored this record first (or a record holding its seq)."""
        stored = self._store.get(str(claimed["event_id"]))
        if stored is not None:
            return [self._duplicate(ref, stored, jws)]
        problem = self._seq_taken(claimed)
        return [self._reject(ref, str(claimed["event_id"]), problem or "the store refused the record")]

    def sweep(self, now: float) -> list[Answer]:
        """Store complete records nobody stored (their worker died), forget events that waited too long
        for media, and media that waited too long for events."""
        answers: list[Answer] = []
        for event_id, since in self._pending.waiting_events():
            if now - since < self._config.redo_after_s:
                break
            if self._store.get(event_id) is not None:
                self._pending.drop_event(event_id)
                continue
            done = self._try(event_id, now)
            if done:
                self.stats.redone += 1
                answers += done
            elif now - since > self._config.media_wait_s:
                self._pending.drop_event(event_id)
                self.stats.dropped_waiting += 1
                log.info("media of %s did not all arrive within %.0f s; no receipt, the box will resend",
                         event_id, self._config.media_wait_s)
        self._pending.drop_media_older_than(now - self._config.media_ttl_s)
        return answers

    @property
    def waiting(self) -> int:
        return self._pending.count()[0]
