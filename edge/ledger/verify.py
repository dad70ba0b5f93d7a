"""Checks evidence the way a court expert would: signature, schema, media bytes, and the chain.

Layout read here (one evidence root, as the box writes it):
    <root>/<event_id>/event.jws    compact JWS of the event
    <root>/<event_id>/event.json   pretty copy of the signed payload (for people; must match it)
    <root>/<event_id>/<media>      every file named in media[], and those of withheld[] (originals
                                   kept on the box) where present; nothing else
    <root>/gap-<seq>.jws           signed gap records (etle.gap/1)
    <root>/tombstone-<seq>.jws     what a purged record left (etle.tombstone/1): its hash keeps its place
A path may also be one event folder or one gap file. Chain checks run per device over the
records whose signatures hold, ordered by device.seq.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.ledger.keys import KeyRing
from edge.ledger.signing import (
    GENESIS_HASH,
    JwsError,
    canonical,
    event_hash,
    schema_errors,
    unverified_payload,
    verify_jws,
)
from edge.ledger.store import file_sha256

EVENT_JWS, EVENT_JSON = "event.jws", "event.json"
TOMBSTONE_PREFIX = "tombstone-"  # edge.ledger.tombstone.tombstone_path
CHECKS = (
    "jws", "header", "kid", "signature", "payload", "schema", "payload_copy", "media_name", "media_missing",
    "media_bytes", "media_sha256", "media_extra", "media_source", "replay", "chain_duplicate_seq", "chain_gap",
    "chain_reorder", "chain_prev_hash", "tombstone_mismatch",
)  # failures; warnings: gap, gap_overlap, chain_start, clock_unsynced, incomplete, stray_file, withheld, purged


@dataclass(frozen=True, slots=True)
class Finding:
    subject: str  # event_id when the record could be read, else the folder or file name
    check: str
    detail: str
    warning: bool = False

    def line(self) -> str:
        return f"{self.subject}: {self.check}: {self.detail}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    records: int  # signed records read (events and gaps)
    findings: tuple[Finding, ...]

    @property
    def failures(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.warning)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.warning)

    @property
    def withheld(self) -> tuple[Finding, ...]:
        """Originals the events bind but this copy of the evidence does not hold (redacted-only publishing)."""
        return tuple(f for f in self.findings if f.check == "withheld")

    @property
    def ok(self) -> bool:
        return self.records > 0 and not self.failures

    def lines(self) -> list[str]:
        """One line per failed check: `<event_id or folder>: <check>: <detail>`."""
        return [f.line() for f in self.failures]


@dataclass(frozen=True, slots=True)
class _Record:
    subject: str
    where: str
    jws: str
    payload: dict[str, Any]
    hash: str

    @property
    def device(self) -> str:
        return str(self.payload["device"]["id"])

    @property
    def seq(self) -> int:
        return int(self.payload["device"]["seq"])

    @property
    def missing(self) -> range:
        """Seqs a gap record declares lost; empty for an event."""
        gap = self.payload.get("missing")
        if not isinstance(gap, dict) or not isinstance(gap.get("first"), int) or not isinstance(gap.get("last"), int):
            return range(0)
        return range(gap["first"], gap["last"] + 1)


def _chainable(payload: dict[str, Any]) -> bool:
    device = payload.get("device")
    return (isinstance(device, dict) and isinstance(device.get("seq"), int) and "id" in device
            and isinstance(payload.get("prev_hash"), str) and isinstance(payload.get("event_id"), str))


class _Verifier:
    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys
        self.findings: list[Finding] = []
        self.records: list[_Record] = []
        self.untrusted: set[tuple[str, int]] = set()  # (device, seq) of records that failed their JWS
        self.ghosts: list[_Record] = []  # purged records, as their tombstones describe them

    def fail(self, subject: str, check: str, detail: str, warning: bool = False) -> None:
        self.findings.append(Finding(subject, check, detail, warning))

    def walk(self, path: Path) -> None:
        if path.is_file() and path.name.startswith(TOMBSTONE_PREFIX):
            self.read_tombstone(path)
        elif path.is_file():
            self.read_record(path.parent if path.name == EVENT_JWS else path)
        elif (path / EVENT_JWS).exists():
            self.read_record(path)
        elif path.is_dir():
            for child in sorted(path.iterdir()):
                if child.name.startswith(".partial-"):
                    self.fail(child.name, "incomplete", "a crash left this folder half-written", warning=True)
                elif child.is_dir() or (child.name.startswith("gap-") and child.suffix == ".jws"):
                    self.read_record(child)
                elif child.name.startswith(TOMBSTONE_PREFIX) and child.suffix == ".jws":
                    self.read_tombstone(child)
                elif not child.name.startswith("."):
                    self.fail(child.name, "stray_file", "neither an evidence folder nor a gap record", warning=True)
        else:
            self.fail(str(path), "jws", "no such file or folder")

    def read_record(self, path: Path) -> None:
        is_folder = path.is_dir()
        jws_file = path / EVENT_JWS if is_folder else path
        try:
            text = jws_file.read_text(encoding="ascii").removesuffix("\n")
        except (OSError, UnicodeDecodeError) as exc:
            self.fail(path.name, "jws", f"cannot read {jws_file.name}: {exc}")
            return
        subject = path.name
        try:
            claimed = unverified_payload(text)
            subject = str(claimed.get("event_id", subject))
        except JwsError:
            claimed = {}
        try:
            payload = verify_jws(text, self.keys)
        except JwsError as exc:
            self.fail(subject, exc.check, str(exc))
            if _chainable(claimed):
                self.untrusted.add((str(claimed["device"]["id"]), claimed["device"]["seq"]))
            return
        errors = schema_errors(payload)
        for error in errors[:5]:
            self.fail(subject, "schema", error)
        if payload.get("schema") == "etle.gap/1":
            self.check_gap(subject, payload, errors, is_folder)
        if is_folder:
            self.check_copy(subject, path, payload)
            if not errors:
                self.check_media(subject, path, payload)
        if isinstance(payload.get("clock"), dict) and payload["clock"].get("synced") is False:
            self.fail(subject, "clock_unsynced", f"clock was not synchronised: {payload['clock']}", warning=True)
        if _chainable(payload):
            self.records.append(_Record(subject, str(path), text, payload, event_hash(text)))

    def read_tombstone(self, path: Path) -> None:
        """A purged record's tombstone: checked like a record, then its hash stands in the chain
        where the record was."""
        try:
            text = path.read_text(encoding="ascii").strip()
            stone = verify_jws(text, self.keys)
        except (OSError, UnicodeDecodeError) as exc:
            self.fail(path.name, "jws", f"cannot read {path.name}: {exc}")
            return
        except JwsError as exc:
            self.fail(path.name, exc.check, str(exc))
            return
        errors = schema_errors(stone) if stone.get("schema") == "etle.tombstone/1" else ["not an etle.tombstone/1"]
        for error in errors[:5]:
            self.fail(path.name, "schema", error)
        if errors:
            return
        purged = stone["purged"]
        ghost = {"event_id": purged["event_id"], "device": purged["device"], "prev_hash": purged["prev_hash"],
                 **({"missing": purged["missing"]} if "missing" in purged else {})}
        self.fail(purged["event_id"], "purged", f"seq {purged['device']['seq']} purged at {stone['purged_at']} by "
                  f"{stone['issuer']['id']} ({stone['status']}, kept {stone['retention_s']:g} s): {stone['reason']}",
                  warning=True)
        self.ghosts.append(_Record(purged["event_id"], str(path), text, ghost, purged["record_hash"]))

    def check_gap(self, subject: str, gap: dict[str, Any], errors: list[str], is_folder: bool) -> None:
        if is_folder:
            self.fail(subject, "schema", "a gap record belongs in a gap-<seq>.jws file, not an event folder")
        if not errors and not gap["missing"]["first"] <= gap["missing"]["last"] == gap["device"]["seq"] - 1:
            # The chain rule relies on it: a gap covers exactly the seqs since the last stored record.
            self.fail(subject, "schema", f"missing {gap['missing']} must end at device.seq - 1")

    def check_copy(self, subject: str, folder: Path, payload: dict[str, Any]) -> None:
        try:
            copy = json.loads((folder / EVENT_JSON).read_bytes())
        except FileNotFoundError:
            self.fail(subject, "payload_copy", f"{EVENT_JSON} missing")
            return
        except (OSError, ValueError) as exc:
            self.fail(subject, "payload_copy", f"{EVENT_JSON} unreadable: {exc}")
            return
        # Compared canonically: formatting may differ, content may not.
        if not isinstance(copy, dict) or canonical(copy) != canonical(payload):
            self.fail(subject, "payload_copy", f"{EVENT_JSON} differs from the signed event")

    def check_media(self, subject: str, folder: Path, payload: dict[str, Any]) -> None:
        """Every listed file present with its signed size and hash. A withheld original (issue 16:
        kept on the box, its redacted copy published) may be absent: a warning that names it; if
        it is present, it is checked like any other."""
        items = [(m, False) for m in payload["media"]] + [(m, True) for m in payload.get("withheld") or []]
        listed: set[str] = set()
        for item, kept_back in items:
            name = item["name"]
            if name in listed or name in (EVENT_JWS, EVENT_JSON):
                self.fail(subject, "media_name", f"{name} is listed twice or shadows the event files")
                continue
            listed.add(name)
            file = folder / name
            if not file.is_file():
                if kept_back:
                    self.fail(subject, "withheld", f"{name}: original withheld (kept on the box), not checked",
                              warning=True)
                else:
                    self.fail(subject, "media_missing", f"{name} is listed but not in the folder")
                continue
            size = file.stat().st_size
            if size != item["bytes"]:
                self.fail(subject, "media_bytes", f"{name} has {size} bytes, the event says {item['bytes']}")
            digest = file_sha256(file)
            if digest != item["sha256"]:
                self.fail(subject, "media_sha256", f"{name} hashes to {digest}, the event says {item['sha256']}")
        originals = {m["name"] for m, _ in items if m.get("variant", "original") == "original"}
        for item, _ in items:
            if item.get("variant") == "redacted" and item.get("source") not in originals:
                self.fail(subject, "media_source", f"{item['name']} is a redacted copy of {item.get('source')!r}, "
                          "which the event does not bind")
        for extra in sorted(p.name for p in folder.iterdir() if p.name not in listed | {EVENT_JWS, EVENT_JSON}):
            self.fail(subject, "media_extra", f"{extra} is in the folder but not in the signed media list")

    def check_chains(self) -> None:
        unique: list[_Record] = []
        by_jws: dict[str, _Record] = {}
        by_id: dict[str, _Record] = {}
        for record in self.records:
            first = by_jws.get(record.jws) or by_id.get(record.payload["event_id"])
            if first is not None:
                same = "the same signed record" if first.jws == record.jws else "another signed record with this id"
                self.fail(record.subject, "replay", f"{same} is also at {first.where} (here: {record.where})")
                if first.jws == record.jws:
                    continue
            by_jws.setdefault(record.jws, record)
            by_id.setdefault(record.payload["event_id"], record)
            unique.append(record)
        for ghost in self.ghosts:
            here = [r for r in unique if (r.device, r.seq) == (ghost.device, ghost.seq)]
            if not here:
                unique.append(ghost)
            elif all(r.hash != ghost.hash for r in here):  # a purge a crash interrupted leaves both: same hash
                self.fail(ghost.subject, "tombstone_mismatch",
                          f"the tombstone of seq {ghost.seq} names hash {ghost.hash}; the record here hashes otherwise")
        devices: dict[str, list[_Record]] = defaultdict(list)
        for record in unique:
            devices[record.device].append(record)
        for device, records in sorted(devices.items()):
            self.check_chain(device, records)

    def check_chain(self, device: str, records: list[_Record]) -> None:
        by_seq: dict[int, list[_Record]] = defaultdict(list)
        for record in sorted(records, key=lambda r: (r.seq, r.subject)):
            by_seq[record.seq].append(record)
        by_hash = {r.hash: r for r in records}
        covered = {s for r in records for s in r.missing}
        untrusted = {s for d, s in self.untrusted if d == device}
        for seq, same in by_seq.items():
            for record in same[1:]:
                self.fail(record.subject, "chain_duplicate_seq", f"seq {seq} is also used by {same[0].subject}")
        for record in records:
            if record.missing:
                lost = record.missing
                self.fail(record.subject, "gap", f"seq {lost.start}..{lost.stop - 1} declared lost: "
                          f"{record.payload.get('reason')}", warning=True)
                if present := sorted(set(lost) & by_seq.keys()):
                    self.fail(record.subject, "gap_overlap", f"declares seq {present} lost, yet they are here",
                              warning=True)
        seqs = sorted(by_seq)
        if seqs[0] > 1:
            self.fail(by_seq[seqs[0]][0].subject, "chain_start",
                      f"device {device}: earliest record here is seq {seqs[0]}; earlier ones are not in this set",
                      warning=True)
        absent = [s for s in range(seqs[0], seqs[-1]) if s not in by_seq and s not in covered | untrusted]
        for run in _runs(absent):
            after = by_seq[min(s for s in seqs if s > run.start)][0]
            self.fail(after.subject, "chain_gap",
                      f"seq {run.start}..{run.stop - 1} missing and no gap record declares it")
        for record in records:
            self.check_link(record, by_seq, by_hash)

    def check_link(self, record: _Record, by_seq: dict[int, list[_Record]], by_hash: dict[str, _Record]) -> None:
        expected = (record.missing.start if record.missing else record.seq) - 1
        prev = record.payload["prev_hash"]
        if expected == 0 or prev == GENESIS_HASH:
            if (expected == 0) != (prev == GENESIS_HASH):
                self.fail(record.subject, "chain_prev_hash",
                          f"seq {record.seq}: only the device's first record may link to the genesis hash")
            return
        target = by_hash.get(prev)
        if expected in by_seq and any(r.hash == prev for r in by_seq[expected]):
            return
        if target is not None:
            self.fail(record.subject, "chain_reorder",
                      f"prev_hash points to seq {target.seq} ({target.subject}); expected seq {expected}")
        elif expected in by_seq:
            self.fail(record.subject, "chain_prev_hash",
                      f"prev_hash matches no record here; expected the hash of seq {expected} "
                      f"({by_seq[expected][0].subject})")
        # Otherwise the predecessor is outside this set, declared lost, or already reported: nothing to compare.


def _runs(values: list[int]) -> list[range]:
    runs: list[range] = []
    for value in values:
        if runs and runs[-1].stop == value:
            runs[-1] = range(runs[-1].start, value + 1)
        else:
            runs.append(range(value, value + 1))
    return runs


def verify_path(path: Path, keys: KeyRing) -> VerifyReport:
    """Verify one evidence folder, one gap file, or an evidence root of them."""
    verifier = _Verifier(keys)
    verifier.walk(path)
    if verifier.records or verifier.ghosts:
        verifier.check_chains()
    elif not verifier.findings:
        verifier.fail(str(path), "jws", "no evidence records found")
    return VerifyReport(records=len(verifier.records) + len(verifier.ghosts), findings=tuple(verifier.findings))
