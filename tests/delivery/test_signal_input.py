"""Traffic-controller phases reach the signal reader over the box's own MQTT connection."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from edge.config.site import Signal
from edge.detect.config import SignalControllerConfig
from edge.detect.signal_controller import ControllerSignalReader
from edge.mqtt.config import BrokerConfig
from tests.brokers import Mosquitto
from tests.delivery.kit import InProcessBox, Subscriber, box_config, wait_for
from tests.delivery.synth import CAMERA, SITE


def test_controller_phase_over_mqtt(workdir: Path, broker: Mosquitto, broker_config: BrokerConfig) -> None:
    reader = ControllerSignalReader([Signal(id="sig-1", source="controller")], SignalControllerConfig(),
                                    datetime.now(UTC))
    box = InProcessBox.open(workdir, box_config(broker.port))
    controller = Subscriber(broker_config).start()
    try:
        box.delivery.listen_signals(reader.receive)
        box.delivery.start()
        wait_for("the box to connect", lambda: box.delivery.progress().connected)
        at = datetime.now(UTC)
        phase = json.dumps({"signal": "sig-1", "state": "red", "at": at.isoformat()}).encode()

        def red() -> bool:
            controller.publish(f"etle/v1/{SITE}/{CAMERA}/signal", phase)  # a controller repeats its phase
            return reader.read(datetime.now(UTC))["sig-1"].state == "red"

        wait_for("the red phase to reach the reader", red, timeout=10)
        assert reader.read(datetime.now(UTC))["sig-1"].since == at
    finally:
        controller.stop()
        box.close()
