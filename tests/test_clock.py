"""Clock status parsing from chronyc and timedatectl outputs, and a probe that never blocks."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from edge.clock import ClockProbe, ClockReading, parse_chronyc_tracking, parse_timedatectl, parse_timespan, probe_once

NOW = datetime(2026, 1, 15, 1, 0, tzinfo=UTC)
CHRONY_OK = ("C0A80001,192.168.0.1,3,1768438800.123456789,0.000012345,-0.000001234,0.000023456,"
             "-12.345,0.001,0.012,0.001234567,0.000456789,64.5,Normal\n")
CHRONY_SLOW = "47505300,GPS,1,1768438800.0,2.500000000,0.0,0.0,46.1,-2.6,39.2,0.0,0.0082,12.0,Normal\n"
CHRONY_UNSYNCED = ("00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,36.149,0.000,0.000,"
                   "1.000000000,1.000000000,0.0,Not synchronised\n")
SHOW_SYNCED = "Timezone=Asia/Jakarta\nLocalRTC=no\nCanNTP=yes\nNTP=yes\nNTPSynchronized=yes\nTimeUSec=Thu 2026-01-15\n"
SHOW_UNSYNCED = SHOW_SYNCED.replace("NTPSynchronized=yes", "NTPSynchronized=no")
SHOW_NO_NTP = SHOW_SYNCED.replace("NTP=yes", "NTP=no")
TIMESYNC = """       Server: 192.0.2.1 (0.debian.pool.ntp.org)
Poll interval: 34min 8s (min: 32s; max 34min 8s)
         Leap: normal
      Version: 4
      Stratum: 2
    Reference: C0248F86
    Precision: 1us (-23)
Root distance: 14.469ms (max: 5s)
       Offset: -1.234ms
        Delay: 10.040ms
       Jitter: 1.020ms
 Packet count: 3
    Frequency: -18.839ppm
"""


@pytest.mark.parametrize(
    ("text", "synced", "offset"),
    [
        (CHRONY_OK, True, -0.000012345),
        (CHRONY_SLOW, False, -2.5),  # 2.5 s slow: beyond the 1 s tolerance
        (CHRONY_UNSYNCED, False, None),
        ("", None, None),
        ("506 Cannot talk to daemon\n", None, None),
        ("C0A80001,x,3,1.0,fast,0,0,0,0,0,0,0,64,Normal\n", None, None),
    ],
    ids=["synced", "beyond-tolerance", "not-synchronised", "empty", "daemon-down", "garbled"],
)
def test_chronyc_tracking(text: str, synced: bool | None, offset: float | None) -> None:
    reading = parse_chronyc_tracking(text, 1.0, NOW)
    assert (reading.source, reading.synced, reading.offset_s, reading.checked_at) == ("chrony", synced, offset, NOW)


@pytest.mark.parametrize(
    ("show", "status", "expected"),
    [
        (SHOW_SYNCED, TIMESYNC, (True, "systemd-timesyncd", -0.001234)),
        (SHOW_SYNCED, None, (True, "systemd-timesyncd", None)),  # older systemd: no timesync-status
        (SHOW_SYNCED, TIMESYNC.replace("-1.234ms", "+1min 2.5s"), (False, "systemd-timesyncd", 62.5)),
        (SHOW_UNSYNCED, TIMESYNC, (False, "systemd-timesyncd", -0.001234)),
        (SHOW_NO_NTP, None, (True, "none", None)),
        (SHOW_NO_NTP.replace("NTPSynchronized=yes", "NTPSynchronized=no"), None, (False, "none", None)),
        ("", None, (None, "none", None)),
    ],
    ids=["synced", "no-offset", "offset-beyond", "unsynced", "other-daemon", "no-ntp", "empty"],
)
def test_timedatectl(show: str, status: str | None, expected: tuple[bool | None, str, float | None]) -> None:
    reading = parse_timedatectl(show, status, 1.0, NOW)
    assert (reading.synced, reading.source, reading.offset_s) == expected


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("+1.234ms", 0.001234), ("-812us", -0.000812), ("3s", 3.0), ("-1min 2.5s", -62.5), ("n/a", None), ("", None)],
)
def test_timespan(text: str, seconds: float | None) -> None:
    result = parse_timespan(text)
    assert result is None if seconds is None else result == pytest.approx(seconds)


def test_tolerance_is_configurable() -> None:
    assert parse_chronyc_tracking(CHRONY_SLOW, 5.0, NOW).synced is True


def test_no_time_tools_installed_means_source_none() -> None:
    def missing(argv: Sequence[str]) -> str:
        return subprocess.run(["/nonexistent/" + argv[0]], check=True, capture_output=True, text=True).stdout

    reading = probe_once(runner=missing)
    assert (reading.synced, reading.source, reading.offset_s) == (None, "none", None)
    assert reading.as_status().source == "none"


def test_chrony_down_falls_back_to_timedatectl() -> None:
    def runner(argv: Sequence[str]) -> str:
        if argv[0] == "chronyc":
            raise subprocess.CalledProcessError(1, list(argv), "506 Cannot talk to daemon")
        return SHOW_SYNCED if argv[1] == "show" else TIMESYNC

    assert probe_once(runner=runner).source == "systemd-timesyncd"


def test_probe_answers_at_once_while_a_check_hangs() -> None:
    def slow(argv: Sequence[str]) -> str:
        time.sleep(2)
        return CHRONY_OK

    probe = ClockProbe(runner=slow, interval_s=60)
    probe.start()
    try:
        start = time.perf_counter()
        reading = probe.current()
        assert time.perf_counter() - start < 0.05
        assert isinstance(reading, ClockReading) and reading.synced is None and reading.detail == "not checked yet"
    finally:
        probe.stop()
    assert probe.current().source == "chrony"  # stop() waited for the running check to finish
