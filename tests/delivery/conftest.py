"""Fixtures: a real mosquitto per test (own config, free loopback port), a box workdir with a
device key and chain, and the reference back office."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backoffice.receiver import Receiver
from edge.mqtt.config import BrokerConfig
from tests.brokers import BrokerMissingError, Mosquitto, mosquitto_binary
from tests.delivery.kit import start_backoffice
from tests.delivery.synth import make_keys
from tests.delivery.template import write_template


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    try:
        mosquitto_binary()
    except BrokerMissingError as exc:
        pytest.fail(str(exc))
    with Mosquitto(tmp_path / "broker").start() as running:
        yield running


@pytest.fixture
def broker_config(broker: Mosquitto) -> BrokerConfig:
    return BrokerConfig(host="127.0.0.1", port=broker.port, keepalive_s=5, connect_timeout_s=3)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A box's folder: keys/ (device key + chain state), the event template a box process reads, and,
    once it runs, evidence/."""
    make_keys(tmp_path / "keys")
    write_template(tmp_path)
    return tmp_path


@pytest.fixture
def backoffice(workdir: Path, broker_config: BrokerConfig) -> Iterator[Receiver]:
    receiver = start_backoffice(workdir, broker_config)
    yield receiver
    receiver.stop()
