"""The Prometheus endpoint: scraped over real HTTP, from a real box process with a real broker,
and the metrics' own arithmetic on known frame reports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from edge.cli import main
from edge.core import FrameMeasure
from edge.metrics.box import BoxMetrics, Readings
from edge.metrics.config import MetricsConfig
from edge.metrics.server import MetricsError, serve
from tests.brokers import Mosquitto, free_port
from tests.conftest import DEMO
from tests.delivery.kit import wait_for

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(port: int) -> Samples:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_frame_reports_add_up_and_delivery_metrics_appear_only_with_delivery() -> None:
    readings = Readings(camera_state="reconnecting", camera_reconnects=3, frames_read=2)
    metrics = BoxMetrics({"device_id": "box-1", "site": "s", "camera": "c", "software_version": "0"},
                         lambda: readings)
    metrics.frame(FrameMeasure(stages=(("read", 0.004), ("detect", 0.06)), detected=("car", "car", "motorcycle"),
                               charged=("red_light",), stored=("red_light",)))
    metrics.frame(FrameMeasure(stages=(("read", 0.004),), dismissed=("complies",), judging=False, write_failures=2))
    metrics.frame(FrameMeasure(stored=("speeding",), judging=False))  # the run's end: a flush, no frame
    metrics.plate_read(5)
    server = serve(MetricsConfig(enabled=True, port=0), metrics.registry)
    try:
        samples = scrape(server.port)
        # A second endpoint on the same port is a setup fault named as such, not a crash.
        try:
            serve(MetricsConfig(enabled=True, port=server.port), metrics.registry)
            raise AssertionError("a taken port was accepted")
        except MetricsError as exc:
            assert f"127.0.0.1:{server.port}" in str(exc)
    finally:
        server.close()
    assert value(samples, "etle_frames_processed_total") == 2
    assert value(samples, "etle_detector_frames_total") == 1
    assert value(samples, "etle_detections_total", **{"class": "car"}) == 2
    assert value(samples, "etle_violations_total", kind="red_light") == 1
    assert value(samples, "etle_evidence_stored_total", kind="red_light") == 1
    assert value(samples, "etle_evidence_stored_total", kind="speeding") == 1
    assert value(samples, "etle_suspects_dismissed_total", reason="complies") == 1
    assert value(samples, "etle_evidence_write_failures_total") == 2
    assert value(samples, "etle_stage_seconds_count", stage="read") == 2
    assert value(samples, "etle_stage_seconds_bucket", stage="detect", le="0.1") == 1
    assert value(samples, "etle_stage_seconds_bucket", stage="detect", le="0.05") == 0
    assert value(samples, "etle_ocr_calls_total") == 5 and value(samples, "etle_plate_reads_total") == 1
    assert value(samples, "etle_judging") == 0  # the last frame was fail-safe
    assert value(samples, "etle_camera_state", state="reconnecting") == 1
    assert value(samples, "etle_camera_state", state="ok") == 0
    assert value(samples, "etle_camera_reconnects_total") == 3
    assert value(samples, "etle_box_info", device_id="box-1", site="s", camera="c", software_version="0") == 1
    assert not any(name.startswith(("etle_outbox", "etle_broker", "etle_published")) for name, _ in samples)


def test_a_running_box_serves_its_metrics_and_stops_serving_on_sigterm(tmp_path: Path) -> None:
    """Turned on from the environment (as the systemd unit and the Dockerfiles do), scraped while the
    demo clip runs and publishes."""
    keys, evidence, port = tmp_path / "keys", tmp_path / "evidence", free_port()
    assert main(["keygen", "--out", str(keys)]) == 0
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ETLE__METRICS__ENABLED": "true",
           "ETLE__METRICS__PORT": str(port), "ETLE__DELIVERY__DRAIN_TIMEOUT_S": "3"}
    with Mosquitto(tmp_path / "broker").start() as broker:
        child = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "run", "--site", str(DEMO / "site.yaml"), "--evidence-dir",
             str(evidence), "--key-dir", str(keys), "--broker", f"127.0.0.1:{broker.port}", "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            wait_for("the first evidence folder", lambda: any(evidence.glob("*/event.json")), timeout=180)
            wait_for("the outbox snapshot", lambda: value(scrape(port), "etle_outbox_depth") is not None, timeout=30)
            samples = scrape(port)
            child.send_signal(signal.SIGTERM)
            out, err = child.communicate(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
    assert child.returncode == 0, err.decode()
    assert f"metrics: http://127.0.0.1:{port}/metrics" in out.decode()
    frames = value(samples, "etle_frames_processed_total") or 0
    assert frames > 0 and value(samples, "etle_frames_read_total") == frames
    assert value(samples, "etle_detector_frames_total") == frames  # detect_every 1
    assert value(samples, "etle_stage_seconds_count", stage="detect") == frames
    assert sum(v for (name, _), v in samples.items() if name == "etle_violations_total") >= 1
    assert sum(v for (name, _), v in samples.items() if name == "etle_detections_total") > frames
    assert value(samples, "etle_judging") == 1
    assert value(samples, "etle_broker_connected") == 1
    assert value(samples, "etle_camera_state", state="ok") == 1
    assert value(samples, "etle_frame_lag_seconds_count") == 0  # a clip: capture times are not the wall clock
    try:
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
        raise AssertionError("the endpoint outlived the box")
    except httpx.ConnectError:
        pass
