"""Privacy (issue 16): who opened or fetched an original (append-only), the grants and the fetches
of originals, retention's tombstones, and the purge mark on a record.

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_NO_CHANGE = {
    "postgresql": [
        "CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the audit log (access_log) is append-only'; END $$",
        "CREATE TRIGGER access_log_no_update BEFORE UPDATE OR DELETE ON access_log "
        "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()",
    ],
    "sqlite": [
        "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log (access_log) is append-only'); END",
        "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log (access_log) is append-only'); END",
    ],
}


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("purged_at", sa.Float))
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("officer", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_access_log_event", "access_log", ["event_id"])
    op.create_table(
        "original_grants",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("officer", sa.String(64), sa.ForeignKey("officers.username"), nullable=False),
        sa.Column("event_id", sa.String(64), sa.ForeignKey("records.event_id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("granted_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_original_grants_lookup", "original_grants", ["officer", "event_id", "name"])
    op.create_table(
        "original_fetches",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.String(64), sa.ForeignKey("records.event_id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("requested_at", sa.Float, nullable=False),
        sa.Column("sent_at", sa.Float),
        sa.Column("status", sa.String(16), nullable=False, server_default="requested"),
        sa.Column("detail", sa.Text),
        sa.Column("done_at", sa.Float),
    )
    _tombstones()
    for statement in _NO_CHANGE.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def _tombstones() -> None:
    op.create_table(
        "tombstones",
        sa.Column("event_id", sa.String(64), sa.ForeignKey("records.event_id"), primary_key=True),
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("prev_hash", sa.String(80), nullable=False),
        sa.Column("record_hash", sa.String(80), nullable=False),
        sa.Column("files", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("retention_s", sa.Float, nullable=False),
        sa.Column("purged_at", sa.Float, nullable=False),
        sa.Column("jws", sa.Text),
    )


def downgrade() -> None:
    for table in ("tombstones", "original_fetches", "original_grants", "access_log"):
        op.drop_table(table)
    with op.batch_alter_table("records") as batch:
        batch.drop_column("purged_at")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS access_log_append_only()")
