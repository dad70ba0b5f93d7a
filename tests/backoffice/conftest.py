"""Fixtures of the back office tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backoffice.kit import office  # noqa: F401  (three real signed violations, stored)
from tests.browser import chrome  # noqa: F401  (real headless Chromium, for the review page)
from tests.postgres import PostgresServer, pg_url, postgres  # noqa: F401  (a real throwaway PostgreSQL)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """The store's database: None (SQLite in the data folder) or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()
