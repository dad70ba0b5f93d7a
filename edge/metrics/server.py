"""The /metrics endpoint: prometheus_client's own WSGI server on a daemon thread."""

from __future__ import annotations

from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server

from edge.errors import EtleError
from edge.metrics.config import MetricsConfig


class MetricsError(EtleError):
    pass


@dataclass(frozen=True, slots=True)
class MetricsServer:
    server: WSGIServer

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(config: MetricsConfig, registry: CollectorRegistry) -> MetricsServer:
    """Listen now, or say why not (a port already taken is a setup fault, named here)."""
    try:
        server, _thread = start_http_server(config.port, addr=config.host, registry=registry)
    except OSError as exc:
        raise MetricsError(f"metrics endpoint {config.host}:{config.port}: {exc.strerror or exc}") from exc
    return MetricsServer(server)
