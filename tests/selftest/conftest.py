"""Fixtures of the selftest tests: a real mosquitto (the delivery tests' own fixtures), a box
folder with a real device key and chain state, and a live MJPEG camera on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.delivery.conftest import broker, broker_config  # noqa: F401  (real mosquitto per test)
from tests.delivery.synth import DEVICE_ID, make_keys


@dataclass(frozen=True)
class BoxFolder:
    """What a technician points the selftest at: settings (evidence under tmp) and the key folder."""

    root: Path
    settings: Path
    keys: Path

    def args(self, *more: str) -> list[str]:
        return ["selftest", "--settings", str(self.settings), "--key-dir", str(self.keys), *more]


@pytest.fixture
def box(tmp_path: Path) -> BoxFolder:
    keys = tmp_path / "keys"
    make_keys(keys)
    settings = tmp_path / "device.yaml"
    settings.write_text(f"device_id: {DEVICE_ID}\nevidence:\n  directory: {tmp_path / 'evidence'}\n")
    return BoxFolder(tmp_path, settings, keys)


@dataclass(frozen=True)
class LiveCamera:
    url: str  # with a user and password, as cameras are addressed
    fps: float
    size: tuple[int, int]


def _handler(frame: bytes, period_s: float) -> type[BaseHTTPRequestHandler]:
    class MjpegHandler(BaseHTTPRequestHandler):
        """multipart/x-mixed-replace JPEGs at a fixed rate: what many IP cameras serve over HTTP."""

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            try:
                while True:
                    head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame)}\r\n\r\n"
                    self.wfile.write(head.encode() + frame + b"\r\n")
                    time.sleep(period_s)
            except OSError:
                return  # the reader went away

        def log_message(self, *_: object) -> None:
            return

    return MjpegHandler


@pytest.fixture
def live_camera() -> Iterator[LiveCamera]:
    size, fps = (320, 240), 10.0
    jpeg = cv2.imencode(".jpg", np.full((size[1], size[0], 3), 90, np.uint8))[1].tobytes()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(jpeg, 1 / fps))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveCamera(f"http://tech:secret@127.0.0.1:{server.server_address[1]}/cam.mjpg", fps, size)
    server.shutdown()
    server.server_close()
