"""The checks of the box's own state: signing key, clock, broker, disk.

Each takes what it needs and a `Budget` (last, so `functools.partial` makes it a `Probe.run`) and
returns a `Finding` whose detail a technician can act on without reading the code.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

from edge.backoff import Backoff
from edge.clock import DEFAULT_TOLERANCE_S, ClockReading, Runner, probe_once, run_command
from edge.delivery.config import MB, DeliveryConfig
from edge.delivery.outbox import OUTBOX_FILE
from edge.delivery.status import disk_free
from edge.ledger.config import CHAIN_FILE, PRIVATE_KEY_FILE
from edge.ledger.keys import KeyFileError, KeyRing, load_public_keys, load_signer
from edge.ledger.signing import JwsError, sign_event, verify_jws
from edge.mqtt.config import BrokerConfig
from edge.mqtt.connection import Connected, Connection, Lost, Session, TlsSetupError
from edge.selftest.probe import Budget, Finding, failed, passed
from edge.settings import DeviceSettings

UNSIGNED = "evidence would be recorded UNSIGNED, which is not fit to send"


def _chain_problem(key_dir: Path, device_id: str) -> str | None:
    """Why the box would refuse to sign for want of its chain state; read without taking its lock
    (a running box holds it)."""
    chain = key_dir / CHAIN_FILE
    try:
        owner = json.loads(chain.read_bytes()).get("device_id")
    except (OSError, ValueError, AttributeError) as exc:
        return (f"chain state {chain} is missing or unreadable ({exc}): the box would not sign; restore it from "
                "the backup made with the key (a new box gets one from `etle-edge keygen`)")
    if owner != device_id:
        return f"chain state {chain} belongs to device {owner!r}, not {device_id!r}: the box would not sign"
    return None


def _published(key_dir: Path, kid: str) -> tuple[bool, str]:
    """Whether the public key beside the private one is its own (the one the back office is given)."""
    try:
        keys = load_public_keys(key_dir)
    except KeyFileError:
        return True, "; no public key file beside it (give the back office the public.jwk.json)"
    if kid not in keys:
        return False, f", but the public key in {key_dir} belongs to another key: the back office would reject " \
                      "every event"
    return True, ""


def check_key(key_dir: Path | None, device_id: str, _budget: Budget) -> Finding:
    """Sign a test payload with the device key and verify it, as a receiver would; the chain
    state must be there too, or the box refuses to sign."""
    if key_dir is None:
        return failed(f"no device key configured (--key-dir or settings signing.key_dir): {UNSIGNED}")
    try:
        signer = load_signer(key_dir / PRIVATE_KEY_FILE)
        verify_jws(sign_event({"schema": "etle.selftest", "device_id": device_id}, signer), KeyRing.of(signer.key))
    except (KeyFileError, JwsError) as exc:
        return failed(f"{exc}; {UNSIGNED}")
    problem = _chain_problem(key_dir, device_id)
    if problem is not None:
        return failed(problem)
    ok, note = _published(key_dir, signer.kid)
    detail = f"key id {signer.kid} in {key_dir}: signed and verified a test payload{note}"
    return passed(detail) if ok else failed(detail)


def _clock_finding(reading: ClockReading) -> Finding:
    offset = f", offset {reading.offset_s * 1000:+.1f} ms" if reading.offset_s is not None else ""
    if reading.synced:
        return passed(f"{reading.detail}{offset}")
    if reading.synced is False:
        return failed(f"{reading.detail}{offset} (tolerance {DEFAULT_TOLERANCE_S:g} s): capture times cannot be "
                      "trusted")
    return failed(f"no time daemon answered: {reading.detail}. The box cannot vouch for its capture times: run "
                  "chrony or systemd-timesyncd")


def check_clock(runner: Runner | None, budget: Budget) -> Finding:
    """The same probe the running box uses (edge.clock), so the verdict is what its events will say.
    `runner`: how the daemons' commands are run (None: for real, each within what the budget has left)."""

    def bounded(argv: Sequence[str]) -> str:
        return run_command(argv, timeout_s=max(0.1, budget.left()))

    return _clock_finding(probe_once(DEFAULT_TOLERANCE_S, runner or bounded))


def _plain(reason: str, broker: BrokerConfig) -> str:
    """The connection's words, without what the row already says: "cannot connect to h:p: [Errno 111]
    Connection refused" → "cannot connect: Connection refused"."""
    reason = reason.replace(f"cannot connect to {broker.host}:{broker.port}:", "cannot connect:")
    return re.sub(r"\[Errno -?\d+\] ", "", reason)


def _who(broker: BrokerConfig) -> tuple[str, str]:
    """How the box identifies itself, and why a refusal might be its own fault."""
    if broker.username is None:
        return ("by its certificate", "") if broker.tls and broker.tls.cert_file else ("anonymously", "")
    env = broker.password_env
    if env is not None and env not in os.environ:
        return f"as {broker.username!r}", f" (the password variable {env} is not set)"
    return f"as {broker.username!r}", ""


def check_broker(config: DeliveryConfig, client_id: str, budget: Budget) -> Finding:
    """Connect as the box would (edge.mqtt.connection: TLS, credentials) and leave cleanly.

    Under a client id of its own and with no session kept: the box's id would take over the
    running box's connection and its queued receipts. No last will: nothing is announced."""
    broker = config.broker
    where = f"broker {broker.host}:{broker.port}{' (TLS)' if broker.tls else ''}"
    session = Session(broker=broker, client_id=f"{client_id}-selftest", session_expiry_s=0)
    try:
        connection = Connection(session, Backoff(config.reconnect_min_s, config.reconnect_max_s))
    except TlsSetupError as exc:
        return failed(f"{where}: {exc}")
    who, hint = _who(broker)
    start = time.monotonic()
    try:
        while not budget.over():
            for event in connection.step(min(0.1, budget.left())):
                if isinstance(event, Connected):
                    return passed(f"{where}: connected {who} and disconnected")
                if isinstance(event, Lost):
                    return failed(f"{where}: {_plain(event.reason, broker)}{hint}")
        return failed(f"{where}: no answer (CONNACK) in {time.monotonic() - start:.1f} s{hint}")
    finally:
        connection.close()


def _gib(n: int) -> str:
    """
    >>> _gib(3 * 1024 * MB), _gib(300 * MB)
    ('3.0 GiB', '300 MiB')
    """
    return f"{n / 1024 / MB:.1f} GiB" if n >= 1024 * MB else f"{n / MB:.0f} MiB"


def _existing(path: Path) -> Path:
    """The folder itself, or the nearest parent that exists (the box creates the rest)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_disk(settings: DeviceSettings, _budget: Budget) -> Finding:
    """Free space where evidence and the outbox go, against the reserve the box keeps
    (delivery.min_disk_free_mb): below it the box stores no new violation."""
    root = Path(settings.evidence.directory).resolve()
    places = {"evidence": root, "outbox": (settings.delivery.outbox_path or root / OUTBOX_FILE).resolve()}
    reserve, budget = settings.delivery.reserve_bytes, settings.delivery.budget_bytes
    disks: set[int] = set()
    lines, bad = [], []
    for what, place in places.items():
        there = _existing(place if what == "evidence" else place.parent)
        free = disk_free(there)
        if free is None or not os.access(there, os.W_OK):
            bad.append(f"{what} {place} cannot be written (at {there})")
            continue
        device = there.stat().st_dev
        if device in disks:
            lines.append(f"{what} {place} on the same disk")
            continue
        disks.add(device)
        line = f"{what} {place}: {_gib(free)} free"
        if free < reserve:
            bad.append(f"{line}, below the reserve")
        else:
            lines.append(line if free >= budget else f"{line}, less than the outbox budget")
    limits = f"reserve {_gib(reserve)}, outbox budget {_gib(budget)}"
    if bad:
        return failed("; ".join(bad) + f" ({limits}): new violations would not be stored")
    return passed("; ".join(lines) + f" ({limits})")
