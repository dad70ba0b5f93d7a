"""Fixtures of the calibration tests: a scratch copy of the demo site, the real tool as a
subprocess on a free loopback port, and headless Chromium driven by Selenium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.brokers import free_port
from tests.browser import chrome  # noqa: F401  (the fixture, for the tests here)
from tests.conftest import DEMO, ROOT

ARTIFACTS = Path(os.environ.get("ETLE_TEST_ARTIFACTS", ROOT / "test-artifacts"))


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """The demo site file with its clip in a scratch folder: tests save into it freely."""
    shutil.copy(DEMO / "site.yaml", tmp_path / "site.yaml")
    (tmp_path / "clip.mp4").symlink_to(DEMO / "clip.mp4")
    return tmp_path / "site.yaml"


@dataclass(frozen=True)
class Tool:
    url: str  # as printed, with ?token=... when there is one
    base: str
    token: str | None
    output: list[str]


@contextmanager
def running_tool(site: Path, host: str = "127.0.0.1") -> Iterator[Tool]:
    """`etle-edge calibrate` as a technician starts it; stopped (by its own pid) at the end."""
    port = free_port()
    command = [sys.executable, "-m", "edge.cli", "calibrate", "--site", str(site), "--host", host, "--port", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        output = [proc.stdout.readline().strip() for _ in range(2 if host == "127.0.0.1" else 3)]
        url = next((line.split(" ", 1)[1] for line in output if line.startswith("open ")), None)
        assert url is not None, f"the tool did not start: {output} {proc.stdout.read() if proc.poll() else ''}"
        base = f"http://127.0.0.1:{port}"
        token = url.split("?token=", 1)[1] if "?token=" in url else None
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/still", timeout=2).status_code in (200, 401):
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the tool did not start: {output} {proc.stdout.read()}")
            time.sleep(0.1)
        yield Tool(url, base, token, output)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
