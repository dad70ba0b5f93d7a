"""The store on both of its databases (SQLite embedded, PostgreSQL for a city): the migrated schema
is the one the queries are written against, a record is stored once whoever stores it, and the
audit log of decisions cannot be changed."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from backoffice.schema import metadata
from backoffice.store import Review, Store, StoredRecord


def record(event_id: str, seq: int, device: str = "dev-1") -> StoredRecord:
    return StoredRecord(event_id, device, seq, "event", "s-1", "cam-1", "0" * 64, f"records/{device}/{event_id}",
                        "red_light", 1.0, 0, violation="red_light", plate="B1234XYZ",
                        detected_at="2026-01-15T07:30:00+07:00")


def staged(store: Store, name: str) -> Path:
    folder = store.staging() / name
    folder.mkdir()
    (folder / "event.jws").write_text("x")
    return folder


def test_the_migrated_schema_is_the_one_the_queries_use(tmp_path: Path, database: str | None) -> None:
    store = Store.open(tmp_path / "office", database)
    tables = inspect(store.engine).get_table_names()
    for table in metadata.sorted_tables:
        assert table.name in tables
        columns = {c["name"] for c in inspect(store.engine).get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    assert "alembic_version" in tables
    Store.open(tmp_path / "office", database)  # opening again migrates nothing and fails nothing


def test_a_record_is_stored_once_by_event_id_and_by_device_seq(tmp_path: Path, database: str | None) -> None:
    store = Store.open(tmp_path / "office", database)
    assert store.commit(staged(store, "e1"), record("e1", 1))
    assert not store.commit(staged(store, "e1"), record("e1", 1))  # the same event again
    assert not store.commit(staged(store, "e2"), record("e2", 1))  # another event claiming seq 1
    assert [r.event_id for r in store.records()] == ["e1"]
    assert (store.root / "records/dev-1/e1/event.jws").read_text() == "x"
    assert not (store.root / "records/dev-1/e2").exists()
    assert store.holder_of("dev-1", 1) == "e1" and store.get("e1") == record("e1", 1)


def test_two_workers_storing_the_same_record_at_once_store_it_once(tmp_path: Path, database: str | None) -> None:
    store = Store.open(tmp_path / "office", database)
    folders = [staged(store, f"e{i}") for i in range(8)]
    results: list[bool] = []
    start = threading.Barrier(8)

    def store_it(folder: Path) -> None:
        start.wait()
        results.append(store.commit(folder, record("same", 7)))

    threads = [threading.Thread(target=store_it, args=(f,)) for f in folders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    assert len(store.records()) == 1 and (store.root / "records/dev-1/same/event.jws").exists()


def test_the_audit_log_is_append_only_and_knows_the_state_before(tmp_path: Path, database: str | None) -> None:
    store = Store.open(tmp_path / "office", database)
    store.commit(staged(store, "e1"), record("e1", 1))
    first = store.add_review(Review("e1", "rejected", "sari", "plate hidden", 10.0))
    second = store.add_review(Review("e1", "approved", "rina", "plate read off the clip", 20.0))
    assert (first.from_state, second.from_state) == ("pending", "rejected")
    assert store.reviews("e1") == [first, second] and store.decisions() == {"e1": "approved"}
    for statement in ("UPDATE reviews SET decision = 'approved'", "DELETE FROM reviews"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as db:
            db.execute(text(statement))
    assert store.reviews("e1") == [first, second]
