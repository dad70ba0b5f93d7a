"""`etle-edge run` publishes through the outbox: with the broker down the evidence waits in the
outbox, and the next run delivers it to the back office."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from backoffice.store import Store
from edge.cli import main
from edge.delivery.outbox import OUTBOX_FILE, Outbox
from edge.ledger.keys import load_public_keys
from edge.ledger.verify import verify_path
from edge.mqtt.config import BrokerConfig
from tests.brokers import Mosquitto
from tests.conftest import DEMO
from tests.delivery.kit import Subscriber, start_backoffice, wait_for


def run(evidence: Path, keys: Path, port: int, frames: int) -> int:
    settings = evidence.parent / "device.yaml"
    settings.write_text("delivery:\n  drain_timeout_s: 5\n")  # the default waits 30 s for receipts
    return main(["run", "--site", str(DEMO / "site.yaml"), "--evidence-dir", str(evidence), "--key-dir", str(keys),
                 "--broker", f"127.0.0.1:{port}", "--max-frames", str(frames), "--quiet", "--settings", str(settings)])


def test_run_queues_while_the_broker_is_away_and_the_next_run_delivers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    keys, evidence = tmp_path / "keys", tmp_path / "evidence"
    assert main(["keygen", "--out", str(keys)]) == 0
    broker = Mosquitto(tmp_path / "broker")
    # Stop 0.4 s after the speeder (frame 31): its evidence is written by the end-of-stream flush, just
    # before the drain (the next violation is at frame 45); the even plate checked at frame 24 (odd_even)
    # was written on the way. Nobody is listening.
    assert run(evidence, keys, broker.port, frames=36) == 0
    out = capsys.readouterr().out
    assert "2 still in the outbox" in out and "was not reachable" in out
    folders = sorted(p.name for p in evidence.iterdir() if p.is_dir())
    assert len(folders) == 2

    broker.start()
    config = BrokerConfig(host="127.0.0.1", port=broker.port)
    receiver = start_backoffice(tmp_path, config)
    watcher = Subscriber(config).start("etle/v1/+/+/status")
    try:
        assert run(evidence, keys, broker.port, frames=1) == 0
        assert "2 receipted by the back office this run, 0 still in the outbox" in capsys.readouterr().out
    finally:
        receiver.stop()
        watcher.stop()
        broker.stop()
    outbox = Outbox.open(evidence / OUTBOX_FILE)
    try:
        assert sorted((r.entry.event_id, r.state) for r in outbox.rows()) == [(f, "receipted") for f in folders]
    finally:
        outbox.close()
    assert all((evidence / f).exists() for f in folders)  # receipted evidence stays for the retention (24 h)
    store = Store.open(tmp_path / "backoffice")
    try:
        records = store.records()
        assert sorted(r.event_id for r in records) == folders and {r.site for r in records} == {"demo-simpang"}
        assert all(verify_path(store.root / r.path, load_public_keys(keys)).ok for r in records)
    finally:
        store.close()
    last = json.loads(watcher.messages[-1][1])
    assert last["state"] == "stopped" and last["calibration"]["version"] >= 1 and last["outbox"]["depth"] == 0


def test_a_fail_safe_box_reports_it_in_the_retained_status(tmp_path: Path) -> None:
    """A site file with a fault: the box runs, judges nothing, and the back office can see why."""
    site = tmp_path / "site.yaml"
    text = (DEMO / "site.yaml").read_text()
    site.write_text(text.replace("lanes: [lane-1, lane-2, lane-3]", "lanes: [lane-1, lane-9]", 1))
    (tmp_path / "clip.mp4").symlink_to(DEMO / "clip.mp4")
    keys, evidence = tmp_path / "keys", tmp_path / "evidence"
    assert main(["keygen", "--out", str(keys)]) == 0
    settings = tmp_path / "device.yaml"
    settings.write_text("delivery:\n  drain_timeout_s: 5\n")
    broker = Mosquitto(tmp_path / "broker").start()
    watcher = Subscriber(BrokerConfig(host="127.0.0.1", port=broker.port)).start("etle/v1/+/+/status")
    try:
        assert main(["run", "--site", str(site), "--evidence-dir", str(evidence), "--key-dir", str(keys),
                     "--broker", f"127.0.0.1:{broker.port}", "--max-frames", "5", "--quiet",
                     "--settings", str(settings)]) == 1
    finally:
        watcher.stop()
        broker.stop()
    documents = [json.loads(payload) for _, payload, _ in watcher.messages]
    assert documents and all(d["judging"] is False and d["state"] in ("degraded", "stopped") for d in documents)
    assert any("unknown lane id 'lane-9'" in f and f.startswith("fail-safe") for f in documents[-1]["faults"])


def test_sigterm_stops_cleanly_writes_what_it_holds_and_exits_0(tmp_path: Path) -> None:
    """How systemd and docker stop a box: no new frames, the violations in hand written (none
    declared lost), the outbox drained, "stopped" retained rather than the last will, exit 0."""
    keys, evidence = tmp_path / "keys", tmp_path / "evidence"
    assert main(["keygen", "--out", str(keys)]) == 0
    settings = tmp_path / "device.yaml"
    settings.write_text("delivery:\n  drain_timeout_s: 10\n")
    with Mosquitto(tmp_path / "broker").start() as broker:
        config = BrokerConfig(host="127.0.0.1", port=broker.port)
        receiver = start_backoffice(tmp_path, config)
        watcher = Subscriber(config).start("etle/v1/+/+/status")
        child = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "run", "--site", str(DEMO / "site.yaml"), "--evidence-dir",
             str(evidence), "--key-dir", str(keys), "--broker", f"127.0.0.1:{broker.port}", "--quiet",
             "--settings", str(settings)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            wait_for("the first evidence folder", lambda: any(evidence.glob("*/event.json")), timeout=180)
            child.send_signal(signal.SIGTERM)
            out, err = child.communicate(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
            receiver.stop()
            watcher.stop()
    assert child.returncode == 0, err.decode()
    text = out.decode()
    assert "SIGTERM: stopping cleanly" in text and "stopped on request after" in text
    assert "0 still in the outbox" in text
    assert not list(evidence.glob("gap-*.jws"))  # nothing declared lost
    folders = sorted(p.parent.name for p in evidence.glob("*/event.json"))
    assert folders and verify_path(evidence, load_public_keys(keys)).ok
    last = json.loads(watcher.messages[-1][1])
    assert last["state"] == "stopped"
    store = Store.open(tmp_path / "backoffice")
    try:
        assert sorted(r.event_id for r in store.records()) == folders
    finally:
        store.close()
