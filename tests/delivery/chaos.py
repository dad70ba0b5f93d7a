"""Fault harness: a real mosquitto, the reference back office, and a box process, with SIGKILLs.

The box (tests.delivery.box_child) signs and queues --events records; meanwhile the harness
SIGKILLs the broker and restarts it (`broker_kills` times) and SIGKILLs the box and restarts it
(`box_kills` times). It ends when every seq of the chain is stored at the back office and the
box's outbox is empty, then stops the box cleanly and checks: nothing lost, no record stored
twice, outbox integrity, the received chain verifies. The CI tests run it small; scripts/chaos
runs it big and writes the figures.

    python -m tests.delivery.chaos --events 10000 --broker-kills 50 --box-kills 200 --out chaos-results
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from backoffice.ingest import IngestConfig
from backoffice.receiver import Receiver, ReceiverConfig, ReceiverProgress
from backoffice.store import Store
from edge.delivery.outbox import OUTBOX_FILE, Outbox
from edge.ledger.keys import load_public_keys
from edge.ledger.verify import verify_path
from edge.mqtt.config import BrokerConfig
from tests.brokers import ROOT, Mosquitto
from tests.delivery.synth import DEVICE_ID, committed_seq, make_keys
from tests.delivery.template import write_template


@dataclass(frozen=True, slots=True)
class ChaosPlan:
    events: int
    broker_kills: int = 0
    box_kills: int = 0
    rate: float = 200.0  # events per second the box signs while alive
    resend_after_s: float = 2.0
    media_bytes: int = 512
    timeout_s: float = 300.0
    seed: int = 1


@dataclass(frozen=True, slots=True)
class ChaosResult:
    records: int  # seqs in the chain: events + gap records
    events: int
    gaps: int  # signed gap records (a box killed between reserving a seq and storing its record)
    declared_lost: int  # seqs those gap records declare: never stored on the box, so never deliverable
    broker_kills: int
    box_kills: int
    stored: int  # distinct records stored by the back office
    lost: int  # seqs of the chain the back office neither got nor saw declared lost
    duplicates_delivered: int  # deliveries of an already-stored record (before dedup)
    rejected: int
    receipts_ignored_by_box: int
    outbox_rows_left: int
    outbox_integrity: str
    chain_verified: bool
    elapsed_s: float
    drain_s: float  # from the last fault (kill or restart) or the last signature, whichever is later, to the end

    @property
    def ok(self) -> bool:
        return (self.lost == 0 and self.rejected == 0 and self.outbox_rows_left == 0
                and self.stored + self.declared_lost == self.records and self.outbox_integrity == "ok"
                and self.chain_verified)


class Box:
    """The box process, restarted after every kill."""

    def __init__(self, workdir: Path, port: int, plan: ChaosPlan) -> None:
        self.workdir, self.port, self.plan = workdir, port, plan
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.started_at = 0.0

    def start(self) -> None:
        args = [sys.executable, "-m", "tests.delivery.box_child", str(self.workdir), "--port", str(self.port),
                "--events", str(self.plan.events), "--rate", str(self.plan.rate), "--resend",
                str(self.plan.resend_after_s), "--media-bytes", str(self.plan.media_bytes)]
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.started_at = time.monotonic()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(30)
        self.kills += 1

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.terminate()
        return self.proc.wait(60)


def _drained(workdir: Path) -> bool:
    """Every record receipted: receipted ones are deleted at once (retention 0), so none is left on
    disk but the tombstone each purge leaves behind (a few hundred bytes, kept so the chain stays
    verifiable)."""
    root = workdir / "evidence"
    if any(not child.name.startswith((".", "tombstone-")) for child in root.iterdir()):
        return False
    outbox = Outbox.open(root / OUTBOX_FILE)
    try:
        return outbox.stats(time.time()).depth == 0
    finally:
        outbox.close()


def run(plan: ChaosPlan, workdir: Path) -> ChaosResult:
    rng = random.Random(plan.seed)
    keys = workdir / "keys"
    make_keys(keys)
    write_template(workdir)
    broker = Mosquitto(workdir / "broker").start()
    receiver = Receiver(ReceiverConfig(BrokerConfig(host="127.0.0.1", port=broker.port, keepalive_s=5),
                                       workdir / "backoffice", ingest=IngestConfig(media_wait_s=10.0),
                                       reconnect_max_s=0.5), load_public_keys(keys)).start()
    box = Box(workdir, broker.port, plan)
    started = last_fault = time.monotonic()
    # Broker kills are spread over the time the box needs to sign everything (it is dead part of the time).
    signing_s = plan.events / plan.rate + plan.box_kills * 1.0
    broker_at = sorted(rng.uniform(0.3, max(0.6, signing_s)) for _ in range(plan.broker_kills))
    box_alive_for = rng.uniform(0.2, 1.2)
    box.start()
    signed_at: float | None = None
    try:
        while True:
            now = time.monotonic()
            if now - started > plan.timeout_s:
                raise TimeoutError(f"chaos run not done after {plan.timeout_s} s: {receiver.progress()}")
            if broker_at and now - started >= broker_at[0]:
                broker_at.pop(0)
                broker.kill()
                time.sleep(rng.uniform(0.05, 0.5))  # the outage
                broker.start()
                last_fault = time.monotonic()
            assert box.proc is not None
            if box.proc.poll() is not None:
                raise RuntimeError(f"the box exited by itself ({box.proc.returncode}); see {workdir / 'box.log'}")
            if box.kills < plan.box_kills and now - box.started_at >= box_alive_for:
                box.kill()
                box.start()
                box_alive_for = rng.uniform(0.2, 1.2)
                last_fault = time.monotonic()
            if signed_at is None and committed_seq(keys) >= plan.events:
                signed_at = time.monotonic()
            if not broker_at and box.kills >= plan.box_kills and signed_at is not None and _drained(workdir):
                break
            time.sleep(0.1)
        drained = time.monotonic()
        exit_code = box.stop()
        if exit_code != 0:
            raise RuntimeError(f"the box did not stop cleanly ({exit_code}); see {workdir / 'box.log'}")
    finally:
        if box.proc is not None and box.proc.poll() is None:
            box.kill()
        final = receiver.stop()
        broker.stop()
    assert signed_at is not None
    return _judge(workdir, Observed(box.kills, broker.kills, final, drained - started,
                                    drained - max(last_fault, signed_at)))


@dataclass(frozen=True, slots=True)
class Observed:
    box_kills: int
    broker_kills: int
    receiver: ReceiverProgress
    elapsed_s: float
    drain_s: float


def _judge(workdir: Path, seen: Observed) -> ChaosResult:
    keys = workdir / "keys"
    records = committed_seq(keys)
    store = Store.open(workdir / "backoffice")
    try:
        chain = store.chain(DEVICE_ID)
        stored = store.records(DEVICE_ID)
        report = verify_path(store.device_dir(DEVICE_ID), load_public_keys(keys))
    finally:
        store.close()
    outbox = Outbox.open(workdir / "evidence" / OUTBOX_FILE)
    try:
        rows, integrity = len(outbox.rows()), outbox.integrity()
    finally:
        outbox.close()
    box_log = (workdir / "box.log").read_text() if (workdir / "box.log").exists() else ""
    ignored = box_log.count("matched no record awaiting one")
    return ChaosResult(
        records=records, events=sum(r.kind == "event" for r in stored), gaps=sum(r.kind == "gap" for r in stored),
        broker_kills=seen.broker_kills, box_kills=seen.box_kills, stored=len(stored),
        declared_lost=chain.declared_lost,
        lost=len(chain.missing) + max(0, records - chain.last),
        duplicates_delivered=seen.receiver.stats.duplicates, rejected=seen.receiver.stats.rejected,
        receipts_ignored_by_box=ignored, outbox_rows_left=rows, outbox_integrity=integrity,
        chain_verified=report.ok and chain.continuous and chain.first == 1 and chain.last == records,
        elapsed_s=round(seen.elapsed_s, 1), drain_s=round(seen.drain_s, 1),
    )


@dataclass(frozen=True, slots=True)
class BacklogResult:
    """An uplink outage: the box signs `records` with the broker down, then the broker comes back."""

    records: int
    signed_s: float  # signing them all, broker down
    drain_s: float  # broker start to every record receipted (and deleted from the box)
    records_per_s: float  # end to end: published, verified and stored by the back office, receipted
    messages_per_s: float  # MQTT messages the box published per second while draining (3 per record)


def backlog(records: int, workdir: Path) -> BacklogResult:
    keys = workdir / "keys"
    make_keys(keys)
    write_template(workdir)
    broker = Mosquitto(workdir / "broker")  # port chosen, not started: the uplink is down
    receiver = Receiver(ReceiverConfig(BrokerConfig(host="127.0.0.1", port=broker.port, keepalive_s=5),
                                       workdir / "backoffice", reconnect_max_s=0.2), load_public_keys(keys)).start()
    box = Box(workdir, broker.port, ChaosPlan(events=records, rate=1e6, resend_after_s=30.0))
    started = time.monotonic()
    box.start()
    try:
        while committed_seq(keys) < records:
            time.sleep(0.05)
        signed = time.monotonic()
        broker.start()
        while not _drained(workdir):
            if time.monotonic() - signed > 600:
                raise TimeoutError("the backlog did not drain within 600 s")
            time.sleep(0.05)
        drained = time.monotonic()
        box.stop()
    finally:
        if box.proc is not None and box.proc.poll() is None:
            box.kill()
        receiver.stop()
        broker.stop()
    drain_s = drained - signed
    return BacklogResult(records, round(signed - started, 1), round(drain_s, 1), round(records / drain_s, 1),
                         round(3 * records / drain_s, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--broker-kills", type=int, default=50)
    parser.add_argument("--box-kills", type=int, default=200)
    parser.add_argument("--rate", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--backlog", type=int, default=2000, help="records signed during an outage, then drained")
    parser.add_argument("--out", type=Path, default=ROOT / "chaos-results")
    args = parser.parse_args()
    plan = ChaosPlan(events=args.events, broker_kills=args.broker_kills, box_kills=args.box_kills, rate=args.rate,
                     timeout_s=args.timeout)
    with tempfile.TemporaryDirectory(prefix="etle-chaos-") as tmp:
        result = run(plan, Path(tmp))
    with tempfile.TemporaryDirectory(prefix="etle-backlog-") as tmp:
        outage = backlog(args.backlog, Path(tmp)) if args.backlog else None
    args.out.mkdir(parents=True, exist_ok=True)
    body = {"plan": asdict(plan), "result": asdict(result), "ok": result.ok,
            "backlog": asdict(outage) if outage else None, "cpus": os.cpu_count(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (args.out / "chaos.json").write_text(json.dumps(body, indent=2) + "\n")
    print(json.dumps(body, indent=2))
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
