"""The back office store: records, rejections, the decisions' audit log, device statuses, the
pieces several workers share while a record arrives, officers and their sessions.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_NO_CHANGE = {
    "postgresql": [
        "CREATE FUNCTION reviews_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the audit log (reviews) is append-only'; END $$",
        "CREATE TRIGGER reviews_no_update BEFORE UPDATE OR DELETE ON reviews "
        "FOR EACH ROW EXECUTE FUNCTION reviews_append_only()",
    ],
    "sqlite": [
        "CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews "
        "BEGIN SELECT RAISE(ABORT, 'the audit log (reviews) is append-only'); END",
        "CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews "
        "BEGIN SELECT RAISE(ABORT, 'the audit log (reviews) is append-only'); END",
    ],
}


def _text(n: int) -> sa.String:
    return sa.String(n)


def upgrade() -> None:
    _records()
    _pieces()
    _officers()
    for statement in _NO_CHANGE.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def _records() -> None:
    op.create_table(
        "records",
        sa.Column("event_id", _text(64), primary_key=True),
        sa.Column("device_id", _text(128), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", _text(16), nullable=False),
        sa.Column("site", _text(128), nullable=False),
        sa.Column("camera", _text(128), nullable=False),
        sa.Column("jws_sha256", _text(64), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("duplicates", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lost_first", sa.BigInteger),
        sa.Column("lost_last", sa.BigInteger),
        sa.Column("violation", _text(64)),
        sa.Column("plate", _text(32)),
        sa.Column("detected_at", _text(40)),
        sa.UniqueConstraint("device_id", "seq", name="uq_records_device_seq"),
    )
    op.create_index("ix_records_queue", "records", ["site", "camera", "detected_at"])
    op.create_table(
        "rejections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", _text(64), nullable=False),
        sa.Column("site", _text(128), nullable=False),
        sa.Column("camera", _text(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", _text(64), sa.ForeignKey("records.event_id"), nullable=False),
        sa.Column("decision", _text(16), nullable=False),
        sa.Column("officer", _text(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("from_state", _text(16), nullable=False, server_default="pending"),
        sa.CheckConstraint("decision IN ('approved', 'rejected')", name="ck_reviews_decision"),
    )
    op.create_index("ix_reviews_event", "reviews", ["event_id"])
    op.create_table(
        "statuses",
        sa.Column("site", _text(128), nullable=False),
        sa.Column("camera", _text(128), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("site", "camera"),
    )


def _pieces() -> None:
    op.create_table(
        "pending_events",
        sa.Column("event_id", _text(64), primary_key=True),
        sa.Column("site", _text(128), nullable=False),
        sa.Column("camera", _text(128), nullable=False),
        sa.Column("jws", sa.Text, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
    )
    op.create_table(
        "pending_media",
        sa.Column("event_id", _text(64), nullable=False),
        sa.Column("name", _text(255), nullable=False),
        sa.Column("sha256", _text(64), nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("event_id", "name"),
    )


def _officers() -> None:
    op.create_table(
        "officers",
        sa.Column("username", _text(64), primary_key=True),
        sa.Column("full_name", _text(128), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", _text(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.CheckConstraint("role IN ('reviewer', 'supervisor', 'admin')", name="ck_officers_role"),
    )
    op.create_table(
        "sessions",
        sa.Column("token_sha256", _text(64), primary_key=True),
        sa.Column("username", _text(64), sa.ForeignKey("officers.username"), nullable=False),
        sa.Column("csrf", _text(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("sessions", "officers", "pending_media", "pending_events", "statuses", "reviews", "rejections",
                  "records"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS reviews_append_only()")
