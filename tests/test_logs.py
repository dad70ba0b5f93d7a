"""The box's log as a log shipper reads it: one JSON object per line naming device, site and
camera, a camera that cannot be reached in the box's own words, and no secret in any line."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time

from edge.logs import JsonFormatter
from tests.conftest import DEMO


def test_json_lines_carry_the_context_and_extra_fields_but_no_secret() -> None:
    formatter = JsonFormatter({"device_id": "box-7", "site": "s1", "camera": "c1"})
    record = logging.LogRecord("edge.delivery", logging.INFO, __file__, 1, "stored %s", ("e-1",), None)
    record.event_id, record.seq, record.broker_password = "e-1", 12, "hunter2"
    line = json.loads(formatter.format(record))
    assert line["msg"] == "stored e-1" and line["level"] == "INFO" and line["logger"] == "edge.delivery"
    assert (line["device_id"], line["site"], line["camera"]) == ("box-7", "s1", "c1")
    assert (line["event_id"], line["seq"]) == ("e-1", 12)
    assert "broker_password" not in line and "hunter2" not in json.dumps(line)


def test_a_box_logging_json_says_its_camera_is_unreachable_and_stops_on_sigterm() -> None:
    env = {**os.environ, "ETLE__LOGGING__FORMAT": "json", "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "run", "--site", str(DEMO / "site.yaml"), "--source",
         "rtsp://admin:s3cret@127.0.0.1:9/stream1", "--no-publish", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert child.stderr is not None
    lines: list[dict[str, object]] = []
    deadline = time.monotonic() + 60
    while len(lines) < 2 and time.monotonic() < deadline:
        raw = child.stderr.readline().decode()
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    child.send_signal(signal.SIGTERM)
    _, rest = child.communicate(timeout=60)
    assert child.returncode == 0, rest.decode()
    assert len(lines) == 2
    for n, line in enumerate(lines, 1):
        assert line["level"] == "WARNING" and line["logger"] == "edge.sources"
        assert line["site"] == "demo-simpang" and line["camera"] and line["device_id"]
        assert f"cannot connect; reconnect attempt {n} in" in str(line["msg"])
        assert "admin:***@127.0.0.1:9" in str(line["msg"])
    assert "s3cret" not in rest.decode() and all("s3cret" not in json.dumps(line) for line in lines)
