"""The MQTT connection: one paho-mqtt 2.x client at a time, owned by exactly one thread.

paho's client is not thread-safe and keeps its session state (QoS 1 messages in flight) in memory
only, so nothing here relies on it: every connection gets a fresh client, the caller's durable
outbox decides what to (re)send, and acknowledgements are reported by message id from `on_publish`
(never `MQTTMessageInfo.is_published()`, which raises RuntimeError forever in paho 2.2 once a
message crossed a reconnect). Callbacks run inside `step()`, on the owning thread; they only
append typed events, which `step()` returns. Reconnects are an explicit, jittered, exponential
backoff in `step()`, not a hidden paho thread.
"""

from __future__ import annotations

import logging
import os
import ssl
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge.backoff import Backoff
from edge.errors import EtleError
from edge.mqtt.config import BrokerConfig, TlsConfig

log = logging.getLogger(__name__)
QOS = 1


class DeliveryError(EtleError):
    """A message could not be handed to the broker; it stays in the outbox and is published again."""


class TlsSetupError(DeliveryError):
    """The TLS files in the device settings cannot be loaded: fix the paths or the files."""


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    content_type: str = "application/json"  # as every other status message says (docs/asyncapi.yaml)


@dataclass(frozen=True, slots=True)
class Session:
    """Who connects where, and what the broker announces if the connection dies."""

    broker: BrokerConfig
    client_id: str
    session_expiry_s: int
    will: Will | None = None
    max_inflight: int = 20


@dataclass(frozen=True, slots=True)
class Connected:
    session_present: bool


@dataclass(frozen=True, slots=True)
class Lost:
    reason: str


@dataclass(frozen=True, slots=True)
class Acked:
    mid: int
    ok: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    payload: bytes


ConnectionEvent = Connected | Lost | Acked | Received


def tls_context(tls: TlsConfig) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(cafile=str(tls.ca_file) if tls.ca_file else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if tls.cert_file is not None and tls.key_file is not None:
            context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
    except (OSError, ssl.SSLError) as exc:
        raise TlsSetupError(f"cannot load the TLS files of the delivery settings ({tls.ca_file}, "
                            f"{tls.cert_file}, {tls.key_file}): {exc}") from exc
    return context


def _properties(packet_type: int) -> Properties:
    return Properties(packet_type)  # type: ignore[no-untyped-call]  # paho leaves this constructor untyped


def _typed(props: Properties, content_type: str) -> Properties:
    """The native MQTT 5 content type, and whether the payload is UTF-8 text (the format indicator)."""
    props.ContentType = content_type
    props.PayloadFormatIndicator = 0 if content_type == "application/octet-stream" or \
        content_type.startswith(("image/", "video/")) else 1
    return props


def publish_properties(content_type: str, user: dict[str, str]) -> Properties:
    props = _typed(_properties(PacketTypes.PUBLISH), content_type)
    if user:
        props.UserProperty = list(user.items())
    return props


def will_properties(content_type: str) -> Properties:
    return _typed(_properties(PacketTypes.WILLMESSAGE), content_type)


class Connection:
    """One MQTT connection, renewed as needed. Call it from one thread only."""

    def __init__(self, session: Session, backoff: Backoff) -> None:
        self._session = session
        self._backoff = backoff
        self._tls = tls_context(session.broker.tls) if session.broker.tls is not None else None
        self._client: paho.Client | None = None
        self._events: list[ConnectionEvent] = []
        self._connected = False
        self._lost: str | None = None
        self._deadline = 0.0
        self._next_attempt = 0.0

    @property
    def connected(self) -> bool:
        return self._connected

    def _new_client(self) -> paho.Client:
        s = self._session
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=s.client_id, protocol=paho.MQTTv5)
        client.max_inflight_messages_set(s.max_inflight)
        if self._tls is not None:
            client.tls_set_context(self._tls)
        if s.broker.username is not None:
            password = os.environ.get(s.broker.password_env) if s.broker.password_env else None
            client.username_pw_set(s.broker.username, password)
        if s.will is not None:
            client.will_set(s.will.topic, s.will.payload, qos=QOS, retain=True,
                            properties=will_properties(s.will.content_type))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    # Callbacks run inside client.loop(): they only record, and step() acts once loop() has returned.
    def _on_connect(self, client: paho.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self._lose(f"broker refused the connection: {reason}")
            return
        self._connected = True
        self._backoff.reset()
        self._events.append(Connected(bool(flags.session_present)))

    def _on_disconnect(self, client: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._lose(f"disconnected: {reason}")

    def _on_publish(self, client: paho.Client, _u: Any, mid: int, reason: Any, _p: Any) -> None:
        self._events.append(Acked(mid, not reason.is_failure, str(reason)))

    def _on_message(self, client: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        self._events.append(Received(message.topic, bytes(message.payload)))

    def _lose(self, reason: str) -> None:
        if self._lost is None:
            self._lost = reason
            self._events.append(Lost(reason))

    def _drop(self) -> None:
        """Forget the client (and its in-memory session) and schedule the next attempt."""
        client, self._client = self._client, None
        self._connected = False
        self._lost = None
        if client is not None:
            client.on_disconnect = None
            try:
                sock = client.socket()
                if sock is not None:
                    sock.close()
            except OSError as exc:
                log.debug("closing a dead socket: %s", exc)
        self._next_attempt = time.monotonic() + self._backoff.next_delay()

    def _connect(self) -> None:
        s = self._session
        client = self._new_client()
        props = _properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = s.session_expiry_s
        self._client = client
        self._deadline = time.monotonic() + s.broker.connect_timeout_s
        try:
            client.connect(s.broker.host, s.broker.port, keepalive=s.broker.keepalive_s, clean_start=False,
                           properties=props)
        except (OSError, ValueError) as exc:  # refused, unreachable, TLS handshake (ssl.SSLError is an OSError)
            self._lose(f"cannot connect to {s.broker.host}:{s.broker.port}: {exc}")

    def step(self, timeout: float) -> list[ConnectionEvent]:
        """Connect when due, move bytes for up to `timeout` seconds, and return what happened."""
        now = time.monotonic()
        if self._client is None:
            if now < self._next_attempt:
                time.sleep(min(timeout, self._next_attempt - now))
            else:
                self._connect()
        else:
            rc = self._client.loop(timeout)
            if rc != paho.MQTT_ERR_SUCCESS:
                self._lose(f"connection lost: {paho.error_string(rc)}")
            elif not self._connected and now > self._deadline:
                self._lose(f"no CONNACK within {self._session.broker.connect_timeout_s} s")
        if self._lost is not None:
            self._drop()
        events, self._events = self._events, []
        return events

    def publish(self, topic: str, payload: bytes, properties: Properties, retain: bool = False) -> int:
        """Hand one QoS 1 message to the connection; its message id, acknowledged later as `Acked`."""
        if self._client is None or not self._connected:
            raise DeliveryError("not connected")
        info = self._client.publish(topic, payload, qos=QOS, retain=retain, properties=properties)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            raise DeliveryError(f"paho refused to publish on {topic}: {paho.error_string(info.rc)}")
        return int(info.mid)

    def subscribe(self, topic: str) -> None:
        if self._client is None or not self._connected:
            raise DeliveryError("not connected")
        rc, _ = self._client.subscribe(topic, qos=QOS)
        if rc != paho.MQTT_ERR_SUCCESS:
            raise DeliveryError(f"cannot subscribe to {topic}: {paho.error_string(rc)}")

    def close(self) -> None:
        """A clean DISCONNECT: the broker discards the last will."""
        if self._client is not None and self._connected:
            self._client.disconnect()
            self._client.loop(0.1)
        self._drop()
