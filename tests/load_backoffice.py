"""The back office under a city's load (scripts/load_backoffice; not part of CI).

A fleet of simulated boxes (tests.fleet: each its own key and chain, real signed records, media of
about `--media-kb` per record) publishes to a real mosquitto; N ingest workers on one shared
subscription (`python -m backoffice worker`) store into a throwaway PostgreSQL. Per run:
  1. city rate: every box sends one record, the fleet at `--rate` records/s (open loop);
  2. burst: `--burst-boxes` boxes come back after a day offline and send `--burst-records` each at once.
Measured: records/s and MB/s stored (first publish to last receipt), p50/p95 publish→receipt at the
city rate, and after the run: lost (no `stored` receipt), stored twice, chains continuous. The kill
run repeats it with 2 workers and SIGKILLs one every `--kill-every-s` (restarted a second later).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from backoffice.store import Store
from tests.brokers import Mosquitto
from tests.delivery.template import event_template
from tests.fleet import FleetPublisher, MediaMaker, SimBox, Workers, make_fleet
from tests.postgres import PostgresServer, start_postgres


def _pace(fleet: FleetPublisher, boxes: list[SimBox], per_box: int, rate: float, media_kb: int) -> None:
    """Each box signs and sends `per_box` records, the fleet at `rate` records/s."""
    template, media, order = event_template(), MediaMaker(), [b for _ in range(per_box) for b in boxes]
    started = time.monotonic()
    for i, box in enumerate(order):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        fleet.publish(box.sign(template, media.files(media_kb * 1024)))


def _burst(fleet: FleetPublisher, boxes: list[SimBox], records: int, media_kb: int, cap: int) -> None:
    """Boxes back after a day offline: their whole backlog at once (their outboxes hold at most `cap` in flight)."""
    template, media = event_template(), MediaMaker(seed=11)
    for _ in range(records):
        for box in boxes:
            while fleet.outstanding >= cap:
                time.sleep(0.01)
            fleet.publish(box.sign(template, media.files(media_kb * 1024)))


def _killer(workers: Workers, every_s: float, stop: threading.Event, kills: list[str]) -> None:
    rng = random.Random(3)
    while not stop.wait(every_s):
        name = rng.choice(sorted(workers.procs))
        workers.kill(name)
        kills.append(name)
        time.sleep(1.0)
        workers.start(name)


def _check(store: Store, boxes: list[SimBox], fleet: FleetPublisher) -> dict[str, Any]:
    with store.engine.connect() as db:
        rows = db.execute(text("SELECT count(*), count(DISTINCT event_id), count(DISTINCT (device_id, seq)) "
                               "FROM records")).one()
    broken = [b.device_id for b in boxes if not store.chain(b.device_id).continuous
              or store.chain(b.device_id).last != b.seq]
    on_disk = sum(1 for d in (store.root / "records").iterdir() for _ in d.iterdir())
    return {"published": fleet.stats.published, "stored_receipts": fleet.stats.stored,
            "lost": fleet.stats.published - fleet.stats.stored, "rows": rows[0],
            "stored_twice": rows[0] - rows[1] + (on_disk - rows[0]), "seq_held_twice": rows[0] - rows[2],
            "rejected": len(fleet.stats.rejected), "chains_broken": len(broken), "resends": fleet.stats.resends,
            "duplicate_receipts": fleet.stats.duplicate_receipts}


def run(args: argparse.Namespace, pg: PostgresServer, workers_n: int, kill_every_s: float | None) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="etle-load-"))
    try:
        url = pg.create_database()
        boxes = make_fleet(args.boxes, work / "keys" / "fleet.jwks.json")
        with Mosquitto(work / "broker").start() as broker:
            workers = Workers(broker.port, work / "keys", work / "office", url)
            for i in range(workers_n):
                workers.start(f"ingest-{i + 1}")
            fleet = FleetPublisher(broker.port, connections=8, resend_after_s=args.resend_s)
            stop, kills = threading.Event(), []
            killer = threading.Thread(target=_killer, args=(workers, kill_every_s, stop, kills), daemon=True)
            if kill_every_s:
                killer.start()
            t0 = time.monotonic()
            _pace(fleet, boxes, 1, args.rate, args.media_kb)
            ok = fleet.wait_all(args.timeout_s)
            t1, city_latencies, city_bytes = time.monotonic(), list(fleet.stats.latencies), fleet.stats.bytes_stored
            _burst(fleet, boxes[: args.burst_boxes], args.burst_records, args.media_kb, args.burst_cap)
            ok = fleet.wait_all(args.timeout_s) and ok
            t2 = time.monotonic()
            stop.set()
            if killer.is_alive():
                killer.join(30)
            fleet.close()
            workers.stop_all()
            store = Store.open(work / "office", url)
            checks = _check(store, boxes, fleet)
        burst_n = args.burst_boxes * args.burst_records
        q = statistics.quantiles(city_latencies, n=20) if len(city_latencies) > 20 else [float("nan")] * 19
        return {"workers": workers_n, "kill_every_s": kill_every_s, "kills": len(kills), "all_answered": ok,
                "city": {"records": len(city_latencies), "seconds": round(t1 - t0, 1),
                         "records_per_s": round(len(city_latencies) / (t1 - t0), 1),
                         "mb_per_s": round(city_bytes / 1e6 / (t1 - t0), 1),
                         "latency_p50_s": round(q[9], 2), "latency_p95_s": round(q[18], 2)},
                "burst": {"records": burst_n, "seconds": round(t2 - t1, 1),
                          "records_per_s": round(burst_n / (t2 - t1), 1),
                          "mb_per_s": round((fleet.stats.bytes_stored - city_bytes) / 1e6 / (t2 - t1), 1)},
                **checks}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--boxes", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="city rate, records/s over the whole fleet")
    parser.add_argument("--media-kb", type=int, default=850)
    parser.add_argument("--burst-boxes", type=int, default=4)
    parser.add_argument("--burst-records", type=int, default=50)
    parser.add_argument("--burst-cap", type=int, default=200, help="records the burst keeps in flight")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--kill-every-s", type=float, default=5.0, help="0: no kill run")
    parser.add_argument("--resend-s", type=float, default=30.0, help="a box resends after this long")
    parser.add_argument("--timeout-s", type=float, default=600.0)
    parser.add_argument("--out", type=Path, default=Path("bench-results/load_backoffice.json"))
    args = parser.parse_args()
    pg = start_postgres()
    results = []
    try:
        runs = [(int(n), None) for n in args.workers.split(",") if n]
        runs += [(2, args.kill_every_s)] if args.kill_every_s else []
        for workers_n, kill in runs:
            result = run(args, pg, workers_n, kill)
            print(json.dumps(result), flush=True)
            results.append(result)
    finally:
        pg.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "runs": results}, indent=2))


if __name__ == "__main__":
    main()
