"""systemd's service notifications (sd_notify(3)): READY, WATCHDOG, STATUS, STOPPING.

The unit runs the box as `Type=notify` with `WatchdogSec=`: systemd counts the box started only
when it says READY=1, and restarts it when WATCHDOG=1 stops arriving, so a pipeline stuck in a
frame (a hung decoder, a deadlock) is restarted instead of sitting silent at the roadside.

Written here rather than taken from PyPI: `sdnotify` (last release 2017) is untyped, connects once
at start-up and hides every error behind a bare `except`; `systemd-python` needs the libsystemd
headers and a compiler on the box. The protocol is small and stable: one datagram of `KEY=value`
lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a leading '@' names Linux's abstract
namespace). Without $NOTIFY_SOCKET (a terminal, docker, CI) every call does nothing.

Nothing here blocks or raises: the frame loop calls `alive()` on every frame, and a notification
that cannot be sent must never cost a violation.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


def _address(raw: str | None) -> str | None:
    """The socket address sd_notify would use, or None. Only absolute paths and abstract names
    are valid (systemd sets nothing else for a service; `vsock:` is for VMs, not a roadside box)."""
    if not raw:
        return None
    if raw.startswith("@"):
        return "\0" + raw[1:]
    if raw.startswith("/"):
        return raw
    log.warning("NOTIFY_SOCKET=%r is neither an absolute path nor an abstract name: not notifying systemd", raw)
    return None


def _watchdog_interval_s(environ: Mapping[str, str], pid: int) -> float | None:
    """Seconds between WATCHDOG=1 pings, half of WATCHDOG_USEC as sd_watchdog_enabled(3) advises,
    or None when the watchdog is off or meant for another process (WATCHDOG_PID)."""
    owner = environ.get("WATCHDOG_PID")
    if owner is not None and owner.strip() != str(pid):
        return None  # inherited from a parent that systemd watches: pinging for it would lie
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 2e6 if usec > 0 else None


class Notifier:
    """Tells systemd how the box is doing. Build it with `from_env`; safe to call from any thread."""

    def __init__(self, address: str | None, watchdog_interval_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`address`: the socket (abstract names start with NUL), None for a no-op notifier."""
        self._address = address
        self._interval = watchdog_interval_s if address is not None else None
        self._clock = clock
        self._last_ping: float | None = None
        self._socket: socket.socket | None = None
        self._failed = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, pid: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> Notifier:
        """From NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (default: this process's environment
        and pid). Without NOTIFY_SOCKET the notifier does nothing."""
        environ = os.environ if environ is None else environ
        address = _address(environ.get("NOTIFY_SOCKET"))
        interval = _watchdog_interval_s(environ, os.getpid() if pid is None else pid)
        return cls(address, interval, clock)

    @property
    def enabled(self) -> bool:
        """Whether systemd is listening (NOTIFY_SOCKET was set)."""
        return self._address is not None

    @property
    def watchdog_interval_s(self) -> float | None:
        """Seconds between pings (half of WatchdogSec), None when the watchdog is off."""
        return self._interval

    def ready(self, status: str | None = None) -> bool:
        """Start-up is done (models loaded, delivery started): systemd starts the watchdog now."""
        return self._send("READY=1", status)

    def alive(self) -> bool:
        """The frame loop made progress. Sends WATCHDOG=1 at most once per half watchdog period,
        so calling it on every frame costs one clock read. True when a ping was sent."""
        if self._interval is None:
            return False
        now = self._clock()
        if self._last_ping is not None and now - self._last_ping < self._interval:
            return False
        # Set before sending: a failing socket is retried next period, not on every frame.
        # Two threads racing here cost at most one extra ping.
        self._last_ping = now
        return self._send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        """One line for `systemctl status` (e.g. the camera's state, violations so far)."""
        return self._send(None, text)

    def stopping(self, status: str | None = None) -> bool:
        """A clean stop has begun (evidence in hand, then the drain): systemd stops the watchdog
        and waits up to TimeoutStopSec instead of restarting a box that is only finishing."""
        return self._send("STOPPING=1", status)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _send(self, state: str | None, status: str | None = None) -> bool:
        if self._address is None:
            return False
        lines = [state] if state is not None else []
        if status is not None:
            # A newline would start a new KEY=value assignment: a status is one line.
            lines.append("STATUS=" + " ".join(status.splitlines()))
        payload = "\n".join(lines).encode("utf-8", errors="replace")
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                # A full socket buffer (systemd busy) drops the message rather than stall a frame.
                self._socket.setblocking(False)
            # sendto, not connect: the path is looked up on every send, so a systemd re-exec that
            # recreates the socket is followed without reconnecting.
            self._socket.sendto(payload, self._address)
        except OSError as exc:
            # At warning level once per outage: a vanished socket would otherwise log on every ping.
            log.log(logging.DEBUG if self._failed else logging.WARNING,
                    "cannot notify systemd at %s: %s", self._address.replace("\0", "@"), exc)
            self._failed = True
            return False
        self._failed = False
        return True
