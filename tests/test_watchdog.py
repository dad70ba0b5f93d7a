"""The sd_notify client against a real AF_UNIX datagram socket standing in for systemd."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.watchdog import Notifier


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[socket.socket]:
    """What systemd listens on: a bound datagram socket that never blocks the test."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(tmp_path / "notify"))
    server.settimeout(0)
    yield server
    server.close()


def received(server: socket.socket) -> list[str]:
    messages = []
    while True:
        try:
            messages.append(server.recv(4096).decode())
        except BlockingIOError:
            return messages


def env_for(server: socket.socket, **extra: str) -> dict[str, str]:
    return {"NOTIFY_SOCKET": str(server.getsockname()), **extra}


def test_ready_status_stopping_reach_the_socket(systemd: socket.socket) -> None:
    notifier = Notifier.from_env(env_for(systemd))
    assert notifier.enabled
    assert notifier.ready("camera ok")
    assert notifier.status("12 violations\nstored")
    assert notifier.stopping()
    notifier.close()
    assert received(systemd) == ["READY=1\nSTATUS=camera ok", "STATUS=12 violations stored", "STOPPING=1"]


def test_watchdog_pings_at_half_the_period_however_often_called(systemd: socket.socket) -> None:
    clock = Clock()
    notifier = Notifier.from_env(env_for(systemd, WATCHDOG_USEC="30000000"), clock=clock)
    assert notifier.watchdog_interval_s == 15.0
    sent = []
    for _ in range(4 * 30):  # 30 s of frames at 4 fps
        sent.append(notifier.alive())
        clock.now += 0.25
    assert sent.count(True) == 2  # at 0 s and at 15 s
    assert sent[0] and sent[60]
    assert received(systemd) == ["WATCHDOG=1", "WATCHDOG=1"]


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ({}, "no WatchdogSec"),
        ({"WATCHDOG_USEC": "0"}, "WatchdogSec=0"),
        ({"WATCHDOG_USEC": "soon"}, "not a number"),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, "the watchdog is another process's"),
    ],
)
def test_no_watchdog_pings_when_systemd_does_not_watch_us(
    systemd: socket.socket, extra: dict[str, str], why: str
) -> None:
    notifier = Notifier.from_env(env_for(systemd, **extra), pid=4242)
    assert notifier.watchdog_interval_s is None, why
    assert not notifier.alive()
    assert notifier.ready()  # notifications other than the watchdog still go
    assert received(systemd) == ["READY=1"]


def test_watchdog_pid_of_this_process_is_ours(systemd: socket.socket) -> None:
    notifier = Notifier.from_env(env_for(systemd, WATCHDOG_USEC="2000000", WATCHDOG_PID=str(os.getpid())))
    assert notifier.watchdog_interval_s == 1.0
    assert notifier.alive()
    assert received(systemd) == ["WATCHDOG=1"]


def test_abstract_socket_names_start_with_at() -> None:
    name = f"etle-test-{uuid.uuid4().hex}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind("\0" + name)
    server.settimeout(0)
    try:
        assert Notifier.from_env({"NOTIFY_SOCKET": "@" + name}).ready()
        assert received(server) == ["READY=1"]
    finally:
        server.close()


@pytest.mark.parametrize("environ", [{}, {"NOTIFY_SOCKET": ""}, {"NOTIFY_SOCKET": "relative/path"},
                                     {"WATCHDOG_USEC": "30000000"}])
def test_without_a_usable_notify_socket_everything_is_a_no_op(environ: dict[str, str]) -> None:
    notifier = Notifier.from_env(environ)
    assert not notifier.enabled
    assert notifier.watchdog_interval_s is None
    assert not notifier.ready()
    assert not notifier.alive()
    assert not notifier.status("x")
    assert not notifier.stopping()
    notifier.close()


def test_a_vanished_socket_neither_raises_nor_floods_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    notifier = Notifier.from_env({"NOTIFY_SOCKET": str(tmp_path / "gone"), "WATCHDOG_USEC": "1000000"}, clock=clock)
    with caplog.at_level(logging.DEBUG, logger="edge.watchdog"):
        assert not notifier.ready()
        for _ in range(10):
            assert not notifier.alive()
            clock.now += 1
        assert not notifier.stopping()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "cannot notify systemd" in warnings[0].getMessage()


def test_a_socket_that_comes_back_is_used_again(tmp_path: Path) -> None:
    path = tmp_path / "notify"
    notifier = Notifier.from_env({"NOTIFY_SOCKET": str(path)})
    assert not notifier.ready()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))  # systemd re-executed and made its socket anew
    server.settimeout(0)
    try:
        assert notifier.status("back")
        assert received(server) == ["STATUS=back"]
    finally:
        server.close()


def test_a_box_process_says_ready_feeds_the_watchdog_per_frame_and_says_stopping(
        systemd: socket.socket, tmp_path: Path) -> None:
    """`etle-edge run` under a stand-in systemd: READY=1 once it judges, WATCHDOG=1 from the frame
    loop while frames flow (rate-limited to half of WatchdogSec), STOPPING=1 at the end. Read as it
    comes, as systemd does: an AF_UNIX socket queues only a few unread datagrams."""
    messages: list[str] = []
    done_reading = threading.Event()

    def listen() -> None:
        systemd.settimeout(0.2)
        while not done_reading.is_set():
            try:
                messages.append(systemd.recv(4096).decode())
            except TimeoutError:
                continue

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    env = {**os.environ, **env_for(systemd, WATCHDOG_USEC="1000000"), "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "edge.cli", "run", "--evidence-dir", str(tmp_path / "evidence"), "--no-publish",
         "--max-frames", "40", "--quiet"], capture_output=True, text=True, env=env, timeout=300, check=False)
    time.sleep(0.5)
    done_reading.set()
    reader.join()
    assert done.returncode == 0, done.stderr
    assert messages[0] == "READY=1\nSTATUS=judging demo-simpang/cam-01", messages
    assert messages.count("WATCHDOG=1") >= 2, messages  # 40 frames take seconds: a ping each 0.5 s of them
    assert messages[-1].startswith("STOPPING=1"), messages
