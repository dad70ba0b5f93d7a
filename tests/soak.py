"""Soak run: a box on a live stream for as long as asked, its resident memory sampled every interval.

A local HTTP server plays the demo clip in a loop as an MJPEG stream at the clip's frame rate (how
many IP cameras serve HTTP); a real mosquitto and the reference back office take the evidence;
the box is a real `etle-edge run` process with its metrics on. Each sample records RSS (from
/proc) and what the box's metrics say it has done. The result: RSS slope after warm-up in MB per
hour (least squares), which a box that runs for months needs at ≈ 0.

    python -m tests.soak --minutes 30 --every-s 60 --out bench-results

The CI test (tests/test_soak.py) runs it for about a minute: the harness works, the stream is
read live, the box judges and delivers; the figure comes from scripts/soak.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import httpx
from prometheus_client.parser import text_string_to_metric_families

from edge.cli import main as cli
from edge.mqtt.config import BrokerConfig
from tests.brokers import ROOT, Mosquitto, free_port
from tests.delivery.kit import start_backoffice

DEMO = ROOT / "calibration" / "demo"
BOUNDARY = b"frame"


@contextmanager
def mjpeg_stream(clip: Path, fps: float) -> Iterator[str]:
    """The clip, looped forever, as multipart/x-mixed-replace JPEGs paced at `fps`; yields its URL."""
    capture = cv2.VideoCapture(str(clip))
    jpegs = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        jpegs.append(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
    capture.release()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
            self.end_headers()
            started, sent = time.monotonic(), 0
            try:
                while True:
                    jpeg = jpegs[sent % len(jpegs)]
                    self.wfile.write(b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                     + str(len(jpeg)).encode() + b"\r\n\r\n" + jpeg + b"\r\n")
                    sent += 1
                    time.sleep(max(0.0, started + sent / fps - time.monotonic()))  # a camera's pace, no drift
            except (BrokenPipeError, ConnectionResetError):
                return

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/stream.mjpg"
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True, slots=True)
class Sample:
    minute: float
    rss_mb: float
    frames: float  # etle_frames_processed_total
    violations: float
    receipts: float
    outbox_depth: float | None


@dataclass(frozen=True, slots=True)
class SoakResult:
    minutes: float
    warmup_minutes: float
    rss_slope_mb_per_hour: float  # least squares over the samples after warm-up
    # The same over each window's lowest sample: RSS saws up and down by tens of MB as evidence
    # (frames, clips) is built and freed; a leak lifts the floor, a busy minute only a peak.
    rss_floor_slope_mb_per_hour: float
    rss_first_mb: float
    rss_last_mb: float
    frames: float
    violations: float
    receipts: float
    box_exit: int
    samples: list[Sample]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def metric_totals(port: int) -> dict[str, float]:
    """Each metric summed over its labels (frames, violations by kind, ...)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            totals[s.name] = totals.get(s.name, 0.0) + s.value
    return totals


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (minute, MB) points, in MB per hour.

    >>> slope_per_hour([(0, 100.0), (1, 100.5), (2, 101.0)])
    30.0
    """
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return 60.0 * sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def floors(points: list[tuple[float, float]], window: int = 5) -> list[tuple[float, float]]:
    """The lowest (minute, MB) point of each run of `window` samples.

    >>> floors([(1, 5.0), (2, 3.0), (3, 4.0), (4, 9.0), (5, 2.0)], window=2)
    [(2, 3.0), (3, 4.0), (5, 2.0)]
    """
    return [min(points[i : i + window], key=lambda p: p[1]) for i in range(0, len(points), window)]


def soak(workdir: Path, minutes: float, every_s: float, warmup_minutes: float) -> SoakResult:
    keys, evidence, metrics_port = workdir / "keys", workdir / "evidence", free_port()
    if cli(["keygen", "--out", str(keys)]) != 0:
        raise RuntimeError("keygen failed")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ETLE__METRICS__ENABLED": "true",
           "ETLE__METRICS__PORT": str(metrics_port), "ETLE__DELIVERY__DRAIN_TIMEOUT_S": "5"}
    samples: list[Sample] = []
    with Mosquitto(workdir / "broker").start() as broker, mjpeg_stream(DEMO / "clip.mp4", 10.0) as url:
        receiver = start_backoffice(workdir, BrokerConfig(host="127.0.0.1", port=broker.port))
        log = (workdir / "box.log").open("wb")
        box = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "run", "--site", str(DEMO / "site.yaml"), "--source", url,
             "--evidence-dir", str(evidence), "--key-dir", str(keys), "--broker", f"127.0.0.1:{broker.port}",
             "--quiet"], stdout=log, stderr=subprocess.STDOUT, env=env)
        started = time.monotonic()
        try:
            while (elapsed := time.monotonic() - started) < minutes * 60:
                time.sleep(min(every_s, max(0.0, minutes * 60 - elapsed)))
                if box.poll() is not None:
                    raise RuntimeError(f"the box exited ({box.returncode}); see {workdir / 'box.log'}")
                m = metric_totals(metrics_port)
                samples.append(Sample(round((time.monotonic() - started) / 60, 2), round(rss_mb(box.pid), 1),
                                      m.get("etle_frames_processed_total", 0.0), m.get("etle_violations_total", 0.0),
                                      m.get("etle_receipts_total", 0.0), m.get("etle_outbox_depth")))
                print(f"soak: {samples[-1]}", flush=True)
            box.send_signal(signal.SIGTERM)
            box.wait(timeout=120)
        finally:
            if box.poll() is None:
                box.kill()
            receiver.stop()
            log.close()
    after = [(s.minute, s.rss_mb) for s in samples if s.minute >= warmup_minutes]
    last = samples[-1] if samples else Sample(0, 0, 0, 0, 0, None)
    return SoakResult(minutes, warmup_minutes, round(slope_per_hour(after), 2), round(slope_per_hour(floors(after)), 2),
                      samples[0].rss_mb if samples else 0,
                      last.rss_mb, last.frames, last.violations, last.receipts, box.returncode, samples)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--every-s", type=float, default=60.0, help="seconds between RSS samples")
    parser.add_argument("--warmup-minutes", type=float, default=5.0, help="samples before this are not in the slope")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--keep", action="store_true", help="keep the working folder (evidence, box log)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="etle-soak-"))
    try:
        result = soak(workdir, args.minutes, args.every_s, args.warmup_minutes)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(json.dumps(asdict(result), indent=2) + "\n")
    print(f"soak: {result.minutes:g} min on a live MJPEG stream, {result.frames:.0f} frames, {result.violations:.0f} "
          f"violations, {result.receipts:.0f} receipted; RSS {result.rss_first_mb:.0f} → {result.rss_last_mb:.0f} MB, "
          f"slope after {result.warmup_minutes:g} min: {result.rss_slope_mb_per_hour:+.2f} MB/hour (of the 5-sample "
          f"floors: {result.rss_floor_slope_mb_per_hour:+.2f}); box exit "
          f"{result.box_exit}; written to {args.out / 'soak.json'}")
    return 0 if result.box_exit == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
