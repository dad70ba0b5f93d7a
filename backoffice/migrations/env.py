"""Alembic's entry point: migrations run on the connection backoffice.database hands over (in its
transaction, under its lock), never on a URL of their own."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from backoffice.schema import metadata


def run() -> None:
    connection: Connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if getattr(context, "config", None) is not None:  # run by Alembic; a test collector's import does nothing
    run()
