"""What the box puts on the wire is what docs/asyncapi.yaml says: every message the broker hands a
subscriber, the last will included, carries the native MQTT 5 content type and payload format
indicator that its channel's messages declare."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from edge.mqtt.config import BrokerConfig
from tests.brokers import ROOT, Mosquitto
from tests.delivery.kit import InProcessBox, Subscriber, box_config, kill_for_the_will, start_backoffice, wait_for
from tests.delivery.synth import CAMERA, SITE

BASE = f"etle/v1/{SITE}/{CAMERA}"
ASYNCAPI: dict[str, Any] = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())


def _resolve(ref: str) -> dict[str, Any]:
    node: Any = ASYNCAPI
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return dict(node)


def declared(topic: str) -> tuple[str, set[tuple[str, int]]]:
    """The channel whose address matches `topic`, and the (content type, payload format
    indicator) pairs its messages declare."""
    for name, channel in ASYNCAPI["channels"].items():
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(channel["address"]))
        if re.fullmatch(pattern, topic):
            messages = [_resolve(m["$ref"]) for m in channel["messages"].values()]
            return name, {(m.get("contentType", ASYNCAPI["defaultContentType"]),
                           m.get("bindings", {}).get("mqtt", {}).get("payloadFormatIndicator", 1)) for m in messages}
    raise AssertionError(f"{topic} is on no channel of docs/asyncapi.yaml")


def test_every_published_message_carries_the_declared_content_type(
    workdir: Path, broker: Mosquitto, broker_config: BrokerConfig,
) -> None:
    watcher = Subscriber(broker_config).start(f"{BASE}/#")
    box = InProcessBox.open(workdir, box_config(broker.port))
    backoffice = start_backoffice(workdir, broker_config)
    try:
        box.delivery.start()
        box.emit(2, typed=True)
        wait_for("both records receipted", lambda: box.delivery.progress().stored == 2)
    finally:
        backoffice.stop()
        box.close()
    try:
        kill_for_the_will(workdir, broker.port, watcher, f"{BASE}/status")  # a box dying without a DISCONNECT
    finally:
        watcher.stop()

    seen: dict[str, set[tuple[str | None, int | None]]] = {}
    for topic, content_type, indicator in watcher.types:
        channel, allowed = declared(topic)
        if channel == "receipt":
            continue  # the back office's, not the box's
        assert (content_type, indicator) in allowed, (topic, content_type, indicator, allowed)
        seen.setdefault(channel, set()).add((content_type, indicator))
    assert seen["media"] == {("image/jpeg", 0), ("video/mp4", 0)}
    assert seen["violation"] == {("application/jose", 1)}
    assert seen["status"] == {("application/json", 1)}  # the last will too
    assert watcher.types[-1][1:] == ("application/json", 1)  # the will itself
