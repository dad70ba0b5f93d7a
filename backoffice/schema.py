"""The back office's tables, as SQLAlchemy Core metadata: what the queries are written against.

The database itself is made and changed only by the Alembic migrations (backoffice/migrations);
tests/backoffice/test_storage.py checks that the migrated database and this metadata agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

metadata = MetaData()
ROLES = ("reviewer", "supervisor", "admin")

records = Table(
    "records", metadata,
    Column("event_id", String(64), primary_key=True),
    Column("device_id", String(128), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),  # event | gap
    Column("site", String(128), nullable=False),
    Column("camera", String(128), nullable=False),
    Column("jws_sha256", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("duplicates", Integer, nullable=False, server_default="0"),
    Column("lost_first", BigInteger),
    Column("lost_last", BigInteger),
    # What the officers' queue filters on, copied out of the verified event when it is stored.
    Column("violation", String(64)),
    Column("plate", String(32)),
    Column("detected_at", String(40)),
    # Set when retention purged the record (backoffice.retention): the row keeps its seq and hash
    # for the chain, its files and personal content are gone, a tombstone says what was there.
    Column("purged_at", Float),
    UniqueConstraint("device_id", "seq", name="uq_records_device_seq"),
)

rejections = Table(
    "rejections", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
    Column("site", String(128), nullable=False),
    Column("camera", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("received_at", Float, nullable=False),
)

# The audit log of decisions: appended, never changed (database triggers refuse UPDATE and DELETE).
reviews = Table(
    "reviews", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), ForeignKey("records.event_id"), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("officer", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", Float, nullable=False),
    Column("from_state", String(16), nullable=False, server_default="pending"),
    CheckConstraint("decision IN ('approved', 'rejected')", name="ck_reviews_decision"),
)

statuses = Table(
    "statuses", metadata,
    Column("site", String(128), nullable=False),
    Column("camera", String(128), nullable=False),
    Column("document", Text, nullable=False),
    Column("received_at", Float, nullable=False),
    PrimaryKeyConstraint("site", "camera"),
)

# What several ingest workers share while a record's pieces arrive (media and event may reach
# different workers): the signed event, and each medium's hash (its bytes are in blobs/).
pending_events = Table(
    "pending_events", metadata,
    Column("event_id", String(64), primary_key=True),
    Column("site", String(128), nullable=False),
    Column("camera", String(128), nullable=False),
    Column("jws", Text, nullable=False),
    Column("received_at", Float, nullable=False),
)

pending_media = Table(
    "pending_media", metadata,
    Column("event_id", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("received_at", Float, nullable=False),
    PrimaryKeyConstraint("event_id", "name"),
)

officers = Table(
    "officers", metadata,
    Column("username", String(64), primary_key=True),
    Column("full_name", String(128), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", Float, nullable=False),
    CheckConstraint("role IN ('reviewer', 'supervisor', 'admin')", name="ck_officers_role"),
)

sessions = Table(
    "sessions", metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("username", String(64), ForeignKey("officers.username"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

# Who saw or fetched an original, and what retention purged (UU PDP 27/2022): appended, never
# changed (database triggers refuse UPDATE and DELETE), read beside the decisions at /audit.
access_log = Table(
    "access_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("officer", String(64), nullable=False),  # an account, or "retention" for a purge
    Column("action", String(32), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("name", String(255), nullable=False),  # the file; "" for what concerns the whole record
    Column("reason", Text, nullable=False),
)

# One officer's leave to see one original of one record, for a while (OriginalsSettings.grant_s).
original_grants = Table(
    "original_grants", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("officer", String(64), ForeignKey("officers.username"), nullable=False),
    Column("event_id", String(64), ForeignKey("records.event_id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("granted_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

# A withheld original asked of its box: the process holding the MQTT connection publishes the
# request (sent_at) and files the answer (status: requested, sent, arrived, unavailable, refused).
original_fetches = Table(
    "original_fetches", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("event_id", String(64), ForeignKey("records.event_id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_at", Float, nullable=False),
    Column("sent_at", Float),
    Column("status", String(16), nullable=False, server_default="requested"),
    Column("detail", Text),
    Column("done_at", Float),
)

# What a purged record leaves in the database: enough for the chain and an auditor, nothing personal.
tombstones = Table(
    "tombstones", metadata,
    Column("event_id", String(64), ForeignKey("records.event_id"), primary_key=True),
    Column("device_id", String(128), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("prev_hash", String(80), nullable=False),
    Column("record_hash", String(80), nullable=False),
    Column("files", Text, nullable=False),  # JSON: [{name, sha256, bytes}]
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("retention_s", Float, nullable=False),
    Column("purged_at", Float, nullable=False),
    Column("jws", Text),  # the signed etle.tombstone/1, when the purge had the back office's key
)
