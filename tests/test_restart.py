"""The real pipeline SIGKILLed at random moments and restarted: the chain never reuses a number
and never has a silent hole (every hole is a signed gap record that verify accepts)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from edge.cli import main
from edge.ledger.keys import load_public_keys
from edge.ledger.signing import unverified_payload
from edge.ledger.verify import verify_path
from tests.conftest import DEMO


def run_cli(evidence: Path, keys: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "run", "--site", str(DEMO / "site.yaml"), "--evidence-dir",
         str(evidence), "--key-dir", str(keys), "--no-publish", "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_sigkill_between_events_then_restart(tmp_path: Path) -> None:
    keys, evidence = tmp_path / "keys", tmp_path / "evidence"
    assert main(["keygen", "--out", str(keys)]) == 0
    rng = random.Random(7)
    for _ in range(4):
        child = run_cli(evidence, keys)
        # The demo's events fall ~3 s to ~28 s into the clip; kill around and between them.
        time.sleep(rng.uniform(4.0, 9.0))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    final = run_cli(evidence, keys)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()

    report = verify_path(evidence, load_public_keys(keys))
    assert report.ok, report.lines()
    seqs = sorted(json.loads((p / "event.json").read_text())["device"]["seq"] for p in evidence.iterdir()
                  if (p / "event.json").exists())
    gaps = [unverified_payload(p.read_text().strip()) for p in evidence.glob("gap-*.jws")]
    declared_lost = sum(g["missing"]["last"] - g["missing"]["first"] + 1 for g in gaps)
    assert len(seqs) == len(set(seqs)) >= 2  # no reuse; the last, uninterrupted run wrote its events
    state = json.loads((keys / "chain.json").read_text())
    assert state["pending"] is None
    # Every number taken is a stored event, a gap record, or a number a gap record declares lost.
    assert state["committed_seq"] == len(seqs) + len(gaps) + declared_lost
