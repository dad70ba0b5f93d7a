"""Frame sources on real files: indexes, capture times, clear errors, and reconnection."""

from __future__ import annotations

import functools
import http.server
import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.app import camera_fault
from edge.delivery.status import HealthBoard
from edge.errors import SourceError
from edge.sources import ImageFolderSource, ReconnectPolicy, StreamSource, VideoFileSource, open_source

START = datetime(2026, 1, 15, 7, 30, tzinfo=timezone(timedelta(hours=7)))


def make_clip(path: Path, frames: int = 12, fps: float = 10.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (160, 120))
    for i in range(frames):
        image = np.full((120, 160, 3), 20 * i % 255, dtype=np.uint8)
        cv2.putText(image, str(i), (40, 80), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
        writer.write(image)
    writer.release()
    return path


def test_video_file_indexes_and_times(tmp_path: Path) -> None:
    source = VideoFileSource(make_clip(tmp_path / "c.mp4"), START, fps=10.0)
    frames = list(source.frames())
    assert [f.index for f in frames] == list(range(12))
    assert frames[5].captured_at == START + timedelta(seconds=0.5)
    assert frames[0].size == (160, 120)
    assert source.health.state == "ended" and source.health.frames == 12


def test_video_file_native_fps(tmp_path: Path) -> None:
    assert VideoFileSource(make_clip(tmp_path / "c.mp4", fps=25.0), START).fps == pytest.approx(25.0)


def test_image_folder(tmp_path: Path) -> None:
    for i in (2, 0, 1):
        cv2.imwrite(str(tmp_path / f"f{i:03d}.png"), np.full((10, 10, 3), i, dtype=np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    frames = list(ImageFolderSource(tmp_path, START, fps=2.0).frames())
    assert [int(f.image[0, 0, 0]) for f in frames] == [0, 1, 2]
    assert frames[2].captured_at == START + timedelta(seconds=1.0)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p / "missing.mp4", "does not exist"),
        (lambda p: (p / "bad.mp4").write_bytes(b"\x00garbage" * 100) and p / "bad.mp4", "corrupt"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "holds no images"),
    ],
    ids=["missing", "corrupt", "empty folder"],
)
def test_bad_sources_say_why(tmp_path: Path, setup: object, message: str) -> None:
    spec = setup(tmp_path)  # type: ignore[operator]
    with pytest.raises(SourceError, match=message):
        open_source(str(spec), 10.0, START)


def test_dead_url_retries_then_fails_and_reports() -> None:
    delays: list[float] = []
    source = StreamSource("http://127.0.0.1:9/none.mjpg", ReconnectPolicy(initial_s=0.1, max_attempts=3),
                          sleep=delays.append)
    with pytest.raises(SourceError, match="gave up after 3 attempts"):
        list(source.frames())
    assert len(delays) == 3 and all(0 <= d <= 0.8 for d in delays)
    assert source.health.state == "failed" and source.health.reconnects == 3
    assert source.health.last_error == "cannot connect"


def test_a_stop_ends_a_dead_stream_instead_of_waiting_out_its_backoff() -> None:
    """A clean stop (SIGTERM) must not wait for a dead camera: the backoff's wait is the stop's."""
    stop = threading.Event()
    source = StreamSource("http://127.0.0.1:9/none.mjpg", ReconnectPolicy(initial_s=30.0, max_s=60.0), stop=stop)
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    assert list(source.frames()) == []
    assert time.monotonic() - started < 10.0  # not the 30 s backoff
    assert source.health.state == "reconnecting"


def test_an_unreachable_camera_says_so_at_every_backoff_step_and_in_the_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = StreamSource("rtsp://admin:s3cret@127.0.0.1:9/stream1", ReconnectPolicy(initial_s=0.1, max_attempts=3),
                          sleep=lambda _s: None)
    board = HealthBoard(camera=functools.partial(camera_fault, source))  # as edge.app wires it
    assert board.health().faults == ()  # starting: nothing to say yet
    with caplog.at_level(logging.WARNING, logger="edge.sources"), pytest.raises(SourceError) as failed:
        frames = source.frames()
        next(frames)
    lines = [r.getMessage() for r in caplog.records if r.name == "edge.sources"]
    assert len(lines) == 3 and all("cannot connect; reconnect attempt" in line for line in lines)
    assert all("s3cret" not in line and "admin:***@127.0.0.1:9" in line for line in lines)
    assert "s3cret" not in str(failed.value)
    assert board.health().faults == ("camera: cannot connect; gave up",)


@pytest.fixture
def http_clip(tmp_path: Path) -> Iterator[str]:
    make_clip(tmp_path / "live.mp4", frames=8)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/live.mp4"
    server.shutdown()


def test_stream_reconnects_when_it_ends(http_clip: str) -> None:
    """A real HTTP stream that ends after 8 frames: the source reconnects and goes on counting."""
    delays: list[float] = []
    source = StreamSource(http_clip, ReconnectPolicy(initial_s=0.01), sleep=delays.append)
    frames = list(islice(source.frames(), 20))
    assert [f.index for f in frames] == list(range(20))
    assert source.health.reconnects == 2 and source.health.state == "ok"
    assert frames[-1].captured_at.tzinfo is not None


def test_a_box_waiting_for_its_camera_keeps_telling_the_watchdog() -> None:
    """The backoff's wait is cut in slices of at most 1 s, each followed by `waiting()` (systemd's
    watchdog must not restart a box that waits for a dead camera on purpose)."""
    slept: list[float] = []
    pings: list[int] = []
    source = StreamSource("http://127.0.0.1:9/none.mjpg", ReconnectPolicy(initial_s=2.5, max_s=2.5, max_attempts=2),
                          sleep=slept.append, waiting=lambda: pings.append(len(slept)))
    with pytest.raises(SourceError):
        list(source.frames())
    assert len(pings) == len(slept) and all(s <= 1.0 for s in slept)
    assert 2.0 <= sum(slept) <= 2 * 2.5 * 1.01  # the backoff's delay (jittered), all of it, in slices
