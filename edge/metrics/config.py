"""Where the metrics endpoint listens. Light on purpose: the settings import it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MetricsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=False, title="Serve /metrics",
        description="A Prometheus endpoint over plain HTTP. Off by default so two boxes on one machine (and the "
        "tests) never fight over a port; the systemd unit and the Dockerfiles turn it on.",
    )
    host: str = Field(
        default="127.0.0.1", min_length=1, title="Listen address",
        description="Loopback by default: a scraper on the box or behind an SSH/VPN tunnel. 0.0.0.0 exposes it to "
        "the network the box is on (metrics name the site and camera, never a plate).",
    )
    port: int = Field(default=9108, ge=0, le=65535, title="Port", description="0: any free port (tests).")
