"""Device settings of the delivery path: broker, TLS, topics, outbox limits, timing.

Parsed once at the edge of the program (as part of `edge.settings.DeviceSettings`); validators
do no I/O, so a certificate path that does not exist is reported when the connection is made.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

MB = 1024 * 1024


class TlsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ca_file: Path | None = Field(
        default=None, title="CA certificates",
        description="PEM file of the CAs that signed the broker's certificate. Null: the system's trust store.",
    )
    cert_file: Path | None = Field(
        default=None, title="Client certificate (mutual TLS)",
        description="PEM certificate of this box. Its CN is <site>/<camera>, which the broker's ACL "
        "(deploy/mosquitto/acl) uses as the username. Null: server-authenticated TLS only.",
    )
    key_file: Path | None = Field(
        default=None, title="Client private key (mutual TLS)", description="PEM key of cert_file, unencrypted.",
    )

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> Self:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("tls.cert_file and tls.key_file go together: give both (mutual TLS) or neither")
        return self


class BrokerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="localhost", min_length=1, title="Broker host",
                      description="Name or address of the back office's MQTT 5 broker.")
    port: int = Field(default=1883, ge=1, le=65535, title="Broker port",
                      description="1883 plain MQTT, 8883 MQTT over TLS by convention.")
    tls: TlsConfig | None = Field(default=None, title="TLS", description="Null: plain TCP (a lab or loopback only).")
    username: str | None = Field(
        default=None, title="Username",
        description="For password authentication; with mutual TLS the broker takes the certificate's CN instead.",
    )
    password_env: str | None = Field(
        default=None, title="Password environment variable",
        description="Name of the environment variable that holds the password, so no secret sits in the file.",
    )
    keepalive_s: int = Field(default=30, ge=5, le=3600, title="Keepalive",
                             description="Seconds; the broker publishes the last will after 1.5 x this of silence.")
    connect_timeout_s: float = Field(default=10.0, gt=0, le=120, title="Connect timeout",
                                     description="Seconds to wait for the TCP/TLS handshake and the CONNACK.")


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


def parse_host_port(text: str) -> tuple[str, int]:
    """`HOST:PORT` from a command line (box and back office); a bad value is a usage error.

    >>> parse_host_port("localhost:1883")
    ('localhost', 1883)
    """
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, e.g. localhost:1883, got {text!r}")
    return host, int(port)
