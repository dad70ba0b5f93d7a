"""Where the MQTT broker is and how to reach it: shared by the box's delivery and the back
office's receiver (`edge.mqtt.connection`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


def parse_host_port(text: str) -> tuple[str, int]:
    """`HOST:PORT` from a command line (box and back office); a bad value is a usage error.

    >>> parse_host_port("localhost:1883")
    ('localhost', 1883)
    """
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, e.g. localhost:1883, got {text!r}")
    return host, int(port)
