"""Device settings of the delivery path: broker, TLS, topics, outbox limits, timing.

Parsed once at the edge of the program (as part of `edge.settings.DeviceSettings`); validators
do no I/O, so a certificate path that does not exist is reported when the connection is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.mqtt.config import BrokerConfig

MB = 1024 * 1024


class DeliveryConfig(BaseModel):
    """How evidence leaves the box. See DESIGN.md "MQTT topics" and docs/asyncapi.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    broker: BrokerConfig = Field(
        default_factory=BrokerConfig, title="Broker",
        description="Where records go; `etle-edge run --broker HOST:PORT` overrides host and port.",
    )
    client_id: str | None = Field(
        default=None, min_length=1, title="MQTT client id",
        description="Null: the device id. Must be stable: the broker keeps the session (subscription, "
        "queued receipts) under it.",
    )
    topic_prefix: str = Field(default="etle/v1", pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
                              title="Topic prefix", description="Topics are <prefix>/<site>/<camera>/...")
    session_expiry_s: int = Field(
        default=7 * 24 * 3600, ge=0, le=0xFFFFFFFF, title="Session expiry",
        description="Seconds the broker keeps this box's session (and the receipts queued in it) while it is away.",
    )
    outbox_path: Path | None = Field(
        default=None, title="Outbox database",
        description="SQLite file. Null: .outbox.sqlite inside the evidence folder, on the same disk as the "
        "evidence it points at (one disk budget, one fsync order).",
    )
    inflight_records: int = Field(
        default=16, ge=1, le=10_000, title="Records in flight",
        description="Records published and awaiting their receipt at any time; bounds memory and the burst after "
        "an outage.",
    )
    inflight_messages: int = Field(
        default=32, ge=1, le=65_535, title="Messages in flight",
        description="MQTT QoS 1 messages awaiting PUBACK (paho's window); keep it at or below the broker's "
        "max_inflight_messages / receive maximum.",
    )
    resend_after_s: float = Field(
        default=60.0, gt=0, le=86_400, title="Resend after",
        description="Seconds without a receipt before a record (media and event) is published again. The back "
        "office deduplicates by event id, so a resend is always safe.",
    )
    retention_s: float = Field(
        default=24 * 3600.0, ge=0, title="Keep receipted evidence",
        description="Seconds a receipted record's folder stays on the box before it is deleted. 0: at once.",
    )
    disk_budget_mb: float = Field(
        default=4096.0, gt=0, title="Outbox disk budget",
        description="MiB of evidence the outbox may hold. When reached, new violations are not stored; each is "
        "declared in a signed gap record that keeps its metadata (see README, Delivery).",
    )
    min_disk_free_mb: float = Field(
        default=256.0, ge=0, title="Disk reserve",
        description="MiB that must stay free on the evidence disk; below it the budget counts as reached.",
    )
    status_interval_s: float = Field(default=60.0, gt=0, le=3600, title="Status interval",
                                     description="Seconds between retained status messages (also sent on change).")
    reconnect_min_s: float = Field(default=0.5, gt=0, title="Reconnect backoff, first",
                                   description="Seconds before the first reconnect attempt (jittered).")
    reconnect_max_s: float = Field(default=60.0, gt=0, title="Reconnect backoff, cap",
                                   description="Longest wait between reconnect attempts (jittered, exponential).")
    drain_timeout_s: float = Field(
        default=30.0, ge=0, title="Drain at the end of a clip",
        description="Seconds `etle-edge run` waits for receipts after a finite source ends; what is left stays "
        "in the outbox for the next run.",
    )

    @model_validator(mode="after")
    def _backoff_order(self) -> Self:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be at least reconnect_min_s")
        return self

    @property
    def budget_bytes(self) -> int:
        return int(self.disk_budget_mb * MB)

    @property
    def reserve_bytes(self) -> int:
        return int(self.min_disk_free_mb * MB)
