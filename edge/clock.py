"""Clock sync status for each event: is the wall clock trustworthy, by whose word, and how far off.

Read from chrony (`chronyc -c tracking`) or systemd-timesyncd (`timedatectl`), refreshed by a
background thread; the pipeline only ever reads the cached value, so a hung daemon cannot stall
it. Parsing is pure and table-tested; running the commands is the only I/O.

`offset_s` is how far the system clock is ahead of the reference (negative: behind).
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from edge.core import ClockStatus

Source = Literal["chrony", "systemd-timesyncd", "none"]
Runner = Callable[[Sequence[str]], str]
DEFAULT_TOLERANCE_S = 1.0
_CHRONY_FIELDS = 14  # `chronyc -c tracking`: refid, name, stratum, ref time, system time, ..., leap status


class ClockSource(Protocol):
    """Where the event's `clock` block comes from; must not block (a probe caches its reading)."""

    def status(self) -> ClockStatus: ...


@dataclass(frozen=True, slots=True)
class FixedClock:
    """A replayed clip: times come from the site file's start time, nobody checks a clock."""

    value: ClockStatus

    def status(self) -> ClockStatus:
        return self.value


@dataclass(frozen=True, slots=True)
class ClockReading:
    synced: bool | None  # None: nobody could tell (no daemon we know answered)
    source: Source
    offset_s: float | None
    checked_at: datetime
    detail: str = ""

    def as_status(self) -> ClockStatus:
        """The event's `clock` block."""
        return ClockStatus(source=self.source, synced=self.synced, offset_s=self.offset_s)


def _within(offset_s: float | None, tolerance_s: float) -> bool:
    return offset_s is None or abs(offset_s) <= tolerance_s


def parse_chronyc_tracking(text: str, tolerance_s: float, now: datetime) -> ClockReading:
    """`chronyc -c tracking` (CSV). chrony prints the system time correction, positive when the
    clock is slow, so the offset is its negation.

    >>> line = "A29FC87B,ntp.example,2,1700000000.1,0.000012,0.0,0.0,-1.0,0.0,0.0,0.01,0.001,64.0,Normal"
    >>> parse_chronyc_tracking(line, 1.0, datetime(2026, 1, 1, tzinfo=UTC)).offset_s
    -1.2e-05
    """
    fields = text.strip().splitlines()[0].split(",") if text.strip() else []
    if len(fields) < _CHRONY_FIELDS:
        return ClockReading(None, "chrony", None, now, f"unexpected chronyc output: {text.strip()[:80]!r}")
    if fields[13].strip() == "Not synchronised":
        # chrony prints an offset of 0 here, which would read as "perfect": there is no offset to report.
        return ClockReading(False, "chrony", None, now, "chrony: not synchronised")
    try:
        offset = -float(fields[4])
    except ValueError:
        return ClockReading(None, "chrony", None, now, f"unexpected system time field {fields[4]!r}")
    within = _within(offset, tolerance_s)
    detail = f"chrony via {fields[1] or fields[0]}, stratum {fields[2]}"
    return ClockReading(within, "chrony", offset, now, detail if within else f"{detail}: offset beyond tolerance")


def parse_properties(text: str) -> dict[str, str]:
    """KEY=VALUE lines, as `timedatectl show` prints them."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


_SPAN = re.compile(r"([+-]?)((?:\d+(?:\.\d+)?(?:min|ms|us|µs|s)\s*)+)")
_UNIT = {"min": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}


def parse_timespan(text: str) -> float | None:
    """systemd's format_timespan as printed by `timedatectl timesync-status` ("+1.234ms", "-1min 2.5s").

    >>> parse_timespan("-1min 2.5s"), parse_timespan("+812us"), parse_timespan("n/a")
    (-62.5, 0.000812, None)
    """
    match = _SPAN.fullmatch(text.strip())
    if match is None:
        return None
    total = sum(float(v) * _UNIT[u] for v, u in re.findall(r"(\d+(?:\.\d+)?)(min|ms|us|µs|s)", match.group(2)))
    return -total if match.group(1) == "-" else total


def parse_timedatectl(show: str, timesync_status: str | None, tolerance_s: float, now: datetime) -> ClockReading:
    """`timedatectl show` (NTP, NTPSynchronized) plus, when available, the Offset line of
    `timedatectl timesync-status`. NTPSynchronized is the kernel's own flag."""
    props = parse_properties(show)
    if "NTPSynchronized" not in props:
        return ClockReading(None, "none", None, now, "timedatectl printed no NTPSynchronized")
    kernel_synced = props["NTPSynchronized"] == "yes"
    if props.get("NTP") != "yes":
        # No timesyncd: something else may discipline the clock, but nothing we can vouch for.
        return ClockReading(kernel_synced, "none", None, now, "no NTP service active (timedatectl NTP=no)")
    offset = None
    for line in (timesync_status or "").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Offset":
            offset = parse_timespan(value)
    synced = kernel_synced and _within(offset, tolerance_s)
    detail = "systemd-timesyncd" if synced else "systemd-timesyncd: not synchronised or offset beyond tolerance"
    return ClockReading(synced, "systemd-timesyncd", offset, now, detail)


def run_command(argv: Sequence[str], timeout_s: float = 5.0) -> str:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout_s, check=True).stdout


def probe_once(tolerance_s: float = DEFAULT_TOLERANCE_S, runner: Runner = run_command) -> ClockReading:
    """Ask chrony, then timedatectl; source "none" when neither is installed or answers."""
    now = datetime.now(UTC)
    try:
        return parse_chronyc_tracking(runner(["chronyc", "-c", "tracking"]), tolerance_s, now)
    except (OSError, subprocess.SubprocessError):
        pass  # not installed, or chronyd not running: try the next source
    try:
        show = runner(["timedatectl", "show"])
    except (OSError, subprocess.SubprocessError) as exc:
        return ClockReading(None, "none", None, now, f"no chronyc or timedatectl answered ({type(exc).__name__})")
    try:
        status: str | None = runner(["timedatectl", "timesync-status"])
    except (OSError, subprocess.SubprocessError):
        status = None  # older systemd or timesyncd stopped: synced flag without offset
    return parse_timedatectl(show, status, tolerance_s, now)


class ClockProbe:
    """Keeps a fresh ClockReading in the background; `current()` never blocks on a subprocess."""

    def __init__(
        self, tolerance_s: float = DEFAULT_TOLERANCE_S, interval_s: float = 60.0, runner: Runner = run_command
    ) -> None:
        self._tolerance_s = tolerance_s
        self._interval_s = interval_s
        self._runner = runner
        self._reading = ClockReading(None, "none", None, datetime.now(UTC), "not checked yet")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def current(self) -> ClockReading:
        return self._reading  # one reference read: atomic, no lock needed

    def status(self) -> ClockStatus:
        return self._reading.as_status()

    def refresh(self) -> ClockReading:
        self._reading = probe_once(self._tolerance_s, self._runner)
        return self._reading

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="clock-probe", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._stop.wait(self._interval_s)
