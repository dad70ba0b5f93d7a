"""Retention in the back office (issue 16), on both databases: `python -m backoffice purge` purges
the rejected records past their retention and only those, leaves a tombstone row and a signed
tombstone that `verify` accepts in the record's place, keeps the chain continuous, audits each
purge, and does nothing more when run again."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backoffice.access import Originals
from backoffice.queue import QueueFilter, read_queue
from backoffice.retention import tombstones
from backoffice.review import ReviewOptions, create_review_app
from backoffice.store import Review, Store
from edge.ledger.keys import KeyInfo, generate_keys, load_public_keys
from edge.ledger.signing import unverified_payload, verify_jws
from edge.ledger.verify import verify_path
from tests.backoffice.kit import Office, log_in, stored_office
from tests.builders import sealer
from tests.conftest import ROOT
from tests.evidence.test_folders import builder

DAY = 86400.0


def purge(office: Office, database: str | None, *extra: str) -> str:
    command = [sys.executable, "-m", "backoffice", "purge", "--data", str(office.data), *extra]
    if database:
        command += ["--database", database]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_rejected_records_are_purged_after_their_retention_and_leave_tombstones(
        tmp_path: Path, database: str | None) -> None:
    seal = sealer(tmp_path)
    office = stored_office(tmp_path, builder(tmp_path, tmp_path / "box", seal, clip=True), seal, database=database)
    store = Store.open(office.data, database)
    rejected, approved, pending = office.event_ids
    now = time.time()
    store.add_review(Review(rejected, "rejected", "sari", "plate hidden by a motorcycle", now - 31 * DAY))
    store.add_review(Review(approved, "rejected", "sari", "unsure", now - 90 * DAY))
    store.add_review(Review(approved, "approved", "rina", "plate read off the clip", now - 80 * DAY))
    gone = store.get(rejected)
    assert gone is not None
    folder = store.root / gone.path
    event = json.loads((folder / "event.json").read_text())
    client = TestClient(create_review_app(ReviewOptions(office.data, load_public_keys(office.keys),
                                                        database=database)), base_url="http://127.0.0.1")
    log_in(client, "rina")
    assert client.get(f"/records/{rejected}/clip.webm").status_code == 200  # a browser copy to purge too
    others = {m["sha256"] for r in (approved, pending)
              for m in json.loads((store.root / f"records/dev-1/{r}/event.json").read_text())["media"]}
    blobs = {m["sha256"]: store.root / "blobs" / m["sha256"][:2] / m["sha256"] for m in event["media"]}
    assert all(blob.exists() for blob in blobs.values())
    assert set(blobs) - others  # most of its files are its own (a frame two events share is stored once)

    (tmp_path / "longer.yaml").write_text("retention:\n  rejected_days: 40\n")
    assert "purged 0 rejected record(s)" in purge(office, database, "--settings", str(tmp_path / "longer.yaml"))
    assert folder.is_dir() and not tombstones(store)

    key = generate_keys(tmp_path / "backoffice-key")
    out = purge(office, database, "--key", str(key.private_key_path))
    assert "purged 1 rejected record(s) older than 30 days (1 tombstone(s) signed by backoffice" in out
    assert not folder.exists()
    assert {sha for sha, blob in blobs.items() if blob.exists()} == set(blobs) & others  # shared blobs stay
    assert not list((office.data / "derived").glob("*.webm"))
    for survivor in (approved, pending):
        record = store.get(survivor)
        assert record is not None and record.purged_at is None and (store.root / record.path / "clip.mp4").exists()

    _signed_tombstone_in_place(office, store, event, key)
    chain = store.chain(gone.device_id)
    assert chain.continuous and chain.count == 3  # the purged seq is present, not a gap

    queue = read_queue(store, QueueFilter.parse({"status": "all"}))
    assert sorted(r.event_id for r, _ in queue.rows) == sorted([approved, pending])
    assert client.get(f"/records/{rejected}").status_code == 410
    audit = [a for a in Originals(store).access_log() if a.action == "purge"]
    assert [(a.officer, a.event_id) for a in audit] == [("retention", rejected)]
    assert "tombstone signed" in audit[0].reason and "purge" in client.get("/audit").text

    again = purge(office, database, "--key", str(key.private_key_path))
    assert "purged 0 rejected record(s)" in again and "0 file(s) deleted" in again
    assert len(tombstones(store)) == 1 and len([a for a in Originals(store).access_log() if a.action == "purge"]) == 1


def _signed_tombstone_in_place(office: Office, store: Store, event: dict[str, Any], key: KeyInfo) -> None:
    """The tombstone row, and the back office's signed tombstone where the record was: the chain verifies."""
    rejected = event["event_id"]
    gone = store.get(rejected)
    assert gone is not None
    (row,) = tombstones(store)
    assert (row["event_id"], row["device_id"], row["seq"], row["status"]) == (rejected, gone.device_id, gone.seq,
                                                                             "rejected")
    assert row["record_hash"] == "sha256:" + gone.jws_sha256 and row["prev_hash"] == event["prev_hash"]
    assert row["retention_s"] == 30 * DAY
    assert sorted(f["sha256"] for f in json.loads(str(row["files"]))) == sorted(m["sha256"] for m in event["media"])
    purged = store.get(rejected)
    assert purged is not None and purged.purged_at is not None and purged.plate is None
    assert "plate" not in purged.summary and purged.summary == "purged: rejected"

    # The signed tombstone: the back office's key, in the record's place; the chain verifies.
    backoffice_key = load_public_keys(key.public_jwk_path)
    stone = verify_jws(str(row["jws"]), backoffice_key)
    assert stone["issuer"]["id"] == "backoffice" and stone["purged"]["record_hash"] == row["record_hash"]
    assert unverified_payload(str(row["jws"]))["purged"]["event_id"] == rejected
    shutil.copy(key.public_jwk_path, office.keys / "backoffice.jwk.json")  # trusted beside the devices' keys
    report = verify_path(store.device_dir(gone.device_id), load_public_keys(office.keys))
    assert report.ok, report.lines()
    assert [f.check for f in report.findings if f.subject == rejected] == ["purged"]
