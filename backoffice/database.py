"""Where the back office keeps its tables: an embedded SQLite file (the demo, one process) or
PostgreSQL (a city: several ingest workers and review servers on one database), through
SQLAlchemy 2 Core, with the schema made and upgraded by Alembic on first use.

SQLite runs in WAL mode with `synchronous=FULL`, and every transaction is `BEGIN IMMEDIATE` (one
writer at a time, waiting up to 30 s, instead of failing on an upgrade from reader to writer).
PostgreSQL runs at its defaults (`synchronous_commit=on`): a commit is on disk when it returns.
Several processes starting at once migrate one at a time (an advisory lock on PostgreSQL).
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

from edge.errors import EtleError

SQLITE_FILE = "backoffice.sqlite"
_MIGRATION_LOCK = 0x45544C45  # "ETLE": the advisory lock id several workers migrate under
_engines: dict[str, Engine] = {}
_ready: set[str] = set()
_lock = threading.Lock()


class DatabaseError(EtleError):
    """The back office database cannot be opened or migrated: check its URL, that the server runs
    and that the role may create tables."""


def sqlite_url(root: Path) -> str:
    return f"sqlite:///{root / SQLITE_FILE}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" below issues the BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", "backoffice:migrations")
    config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def _migrate(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK})
        if MigrationContext.configure(connection).get_current_revision() != head_revision():
            command.upgrade(_alembic_config(connection), "head")


def engine_for(url: str) -> Engine:
    """One engine per database per process, its schema at the newest revision."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            try:
                if url.startswith("sqlite"):
                    engine = create_engine(url, pool_size=4, max_overflow=8)
                    event.listen(engine, "connect", _sqlite_pragmas)
                    event.listen(engine, "begin", _sqlite_begin)
                else:
                    engine = create_engine(url, pool_size=4, max_overflow=8, pool_pre_ping=True)
            except (SQLAlchemyError, ImportError, ValueError) as exc:
                raise DatabaseError(f"cannot use the database {redacted(url)}: {exc}") from exc
            _engines[url] = engine
        if url not in _ready:
            try:
                _migrate(engine)
            except SQLAlchemyError as exc:
                raise DatabaseError(f"cannot open or migrate the database {redacted(url)}: {exc}") from exc
            _ready.add(url)
        return engine


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    head, at, tail = url.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    return f"{scheme}//{credentials.split(':', 1)[0]}:***@{tail}"


def dispose_all() -> None:
    """Close every pooled connection (tests that drop their throwaway server call this)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _ready.clear()
