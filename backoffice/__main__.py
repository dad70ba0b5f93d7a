"""`python -m backoffice serve|review|show|purge`: the reference receiver, the officers' review page,
what it stored, and retention."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import uvicorn
from rich.console import Console
from rich.table import Table

from backoffice.accounts import ROLES, Accounts
from backoffice.receiver import Receiver, ReceiverConfig
from backoffice.retention import ISSUER, purge
from backoffice.review import ReviewOptions, create_review_app
from backoffice.settings import load_settings
from backoffice.store import Store
from backoffice.worker import Worker, WorkerConfig
from edge.errors import EtleError
from edge.ledger.keys import load_public_keys, load_signer
from edge.ledger.verify import verify_path
from edge.mqtt.config import BrokerConfig, TlsConfig, parse_host_port
from edge.webguard import is_loopback, new_token


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m backoffice", description="Reference ETLE back office.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="receive, verify, store and answer receipts until stopped")
    serve.add_argument("--broker", type=parse_host_port, default=("localhost", 1883), help="HOST:PORT")
    serve.add_argument("--keys", type=Path, required=True, help="trusted device public keys (file or folder)")
    serve.add_argument("--data", type=Path, required=True, help="folder for the store")
    serve.add_argument("--client-id", default="etle-backoffice")
    serve.add_argument("--ca", type=Path, help="CA certificate of the broker (turns TLS on)")
    serve.add_argument("--cert", type=Path, help="client certificate (mutual TLS; CN backoffice)")
    serve.add_argument("--key", type=Path, help="client key (mutual TLS)")
    serve.add_argument("--ready-file", type=Path, help="touched once the receiver runs (for scripts)")
    worker = commands.add_parser("worker", help="one of several ingest workers on an MQTT 5 shared subscription")
    worker.add_argument("--broker", type=parse_host_port, default=("localhost", 1883), help="HOST:PORT")
    worker.add_argument("--keys", type=Path, required=True, help="trusted device public keys (file or folder)")
    worker.add_argument("--data", type=Path, required=True, help="the data folder every worker shares")
    worker.add_argument("--group", default="etle-ingest", help="the shared subscription's group")
    worker.add_argument("--client-id", required=True, help="fixed per worker (its persistent session)")
    worker.add_argument("--ca", type=Path, help="CA certificate of the broker (turns TLS on)")
    worker.add_argument("--cert", type=Path, help="client certificate (mutual TLS; CN backoffice)")
    worker.add_argument("--key", type=Path, help="client key (mutual TLS)")
    worker.add_argument("--ready-file", type=Path, help="touched once the worker is connected (for scripts)")
    review = commands.add_parser("review", help="the officers' review page for what the store holds")
    review.add_argument("--data", type=Path, required=True, help="folder of the store")
    review.add_argument("--keys", type=Path, required=True, help="trusted device public keys (file or folder)")
    review.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; any other needs the printed token)")
    review.add_argument("--port", type=int, default=8090)
    review.add_argument("--settings", type=Path, help="back office settings (YAML): who may open originals")
    officer = commands.add_parser("officer", help="add an officer's account (the password is read from stdin)")
    officer.add_argument("--data", type=Path, required=True, help="folder of the store")
    officer.add_argument("--username", required=True)
    officer.add_argument("--name", required=True, help="full name and rank, as the audit log prints it")
    officer.add_argument("--role", choices=ROLES, required=True)
    show = commands.add_parser("show", help="list what the store holds; verify it with --keys")
    show.add_argument("--data", type=Path, required=True)
    show.add_argument("--keys", type=Path, help="trusted device public keys: also verify every stored record")
    retention = commands.add_parser("purge", help="purge rejected records past their retention (tombstones stay)")
    retention.add_argument("--data", type=Path, required=True, help="folder of the store")
    retention.add_argument("--settings", type=Path, help="back office settings (YAML): retention.rejected_days")
    retention.add_argument("--key", type=Path, help="the back office's private key (PEM): sign the tombstones")
    for command in (serve, worker, review, officer, show, retention):
        command.add_argument("--database", default=os.environ.get("ETLE_BACKOFFICE_DATABASE"),
                             help="SQLAlchemy URL of the database, e.g. postgresql+psycopg://etle@db/etle "
                                  "(default: $ETLE_BACKOFFICE_DATABASE, else SQLite in the data folder)")
    return parser


def run_worker(args: argparse.Namespace) -> int:
    tls = TlsConfig(ca_file=args.ca, cert_file=args.cert, key_file=args.key) if args.ca else None
    host, port = args.broker
    config = WorkerConfig(broker=BrokerConfig(host=host, port=port, tls=tls), data=args.data, database=args.database,
                          group=args.group, client_id=args.client_id)
    worker, done, ready = Worker(config, load_public_keys(args.keys)), threading.Event(), threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.ready_file is not None:
        def _touch() -> None:
            if ready.wait(30.0):
                args.ready_file.touch()
        threading.Thread(target=_touch, daemon=True).start()
    s = worker.run(done, ready).stats
    print(f"worker {args.client_id}: {s.stored} stored, {s.redone} redone, {s.duplicates} duplicate(s), "
          f"{s.rejected} rejected", flush=True)
    return 0


def serve(args: argparse.Namespace) -> int:
    tls = TlsConfig(ca_file=args.ca, cert_file=args.cert, key_file=args.key) if args.ca else None
    host, port = args.broker
    config = ReceiverConfig(broker=BrokerConfig(host=host, port=port, tls=tls), data=args.data,
                            client_id=args.client_id, database=args.database)
    receiver = Receiver(config, load_public_keys(args.keys)).start()
    done = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    deadline = time.monotonic() + 10.0
    while not receiver.progress().connects and time.monotonic() < deadline:
        time.sleep(0.05)  # ready means subscribed: what a box publishes from now on reaches us
    if args.ready_file is not None:
        args.ready_file.touch()
    done.wait()
    progress = receiver.stop()
    s = progress.stats
    print(f"back office: {s.stored} stored, {s.duplicates} duplicate(s), {s.rejected} rejected, "
          f"{progress.receipts_sent} receipt(s) sent", flush=True)
    return 0


def review(args: argparse.Namespace) -> int:
    token = new_token(args.host)
    app = create_review_app(ReviewOptions(args.data, load_public_keys(args.keys), token, is_loopback(args.host),
                                            args.database, settings=load_settings(args.settings)))
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"open http://{shown}:{args.port}/{f'?token={token}' if token else ''}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def add_officer(args: argparse.Namespace) -> int:
    """The password from the terminal (asked twice) or, for scripts, the first line of stdin."""
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.username}: ")
        if getpass.getpass("again: ") != password:
            print("backoffice: the two passwords differ; nothing was added", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\n")
    store = Store.open(args.data, args.database)
    added = Accounts(store).add(args.username, args.name, args.role, password)
    print(f"added {added.role} {added.username} ({added.full_name})")
    return 0


def run_purge(args: argparse.Namespace) -> int:
    settings = load_settings(args.settings)
    signer = load_signer(args.key) if args.key is not None else None
    store = Store.open(args.data, args.database)
    report = purge(store, settings.retention, signer, time.time())
    print(f"purged {len(report.purged)} rejected record(s) older than {settings.retention.rejected_days:g} days "
          f"({report.tombstones_signed} tombstone(s) signed by {ISSUER if signer else 'nobody: no --key'}, "
          f"{report.files_deleted} file(s) deleted)", flush=True)
    for event_id in report.purged:
        print(f"  {event_id}", flush=True)
    return 0


def show(args: argparse.Namespace, console: Console) -> int:
    store = Store.open(args.data, args.database)
    try:
        records = store.records()
        table = Table(title=f"back office store {args.data}: {len(records)} record(s)")
        for column in ("device", "seq", "event id", "site/camera", "what", "dups"):
            table.add_column(column, no_wrap=True, overflow="ellipsis")
        for r in records:
            table.add_row(r.device_id, str(r.seq), r.event_id, f"{r.site}/{r.camera}", r.summary, str(r.duplicates))
        console.print(table)
        for device in store.devices():
            chain = store.chain(device)
            verdict = "continuous" if chain.continuous else f"MISSING seqs {list(chain.missing)}"
            declared = f", {chain.declared_lost} seq(s) declared lost in signed gaps" if chain.declared_lost else ""
            console.print(f"device {device}: seq {chain.first}..{chain.last}, {chain.count} record(s){declared}: "
                          f"{verdict}", highlight=False)
            if args.keys is not None:
                report = verify_path(store.device_dir(device), load_public_keys(args.keys))
                console.print(f"  verify: {report.records} record(s), "
                              f"{'all valid' if report.ok else f'{len(report.failures)} failure(s)'}", highlight=False)
                for line in report.lines():
                    console.print(f"    {line}", markup=False)
        for event_id, site, camera, reason in store.rejections():
            console.print(f"rejected {event_id} from {site}/{camera}: {reason}", markup=False)
        for site, camera, document in store.statuses():
            status = json.loads(document)
            outbox = status.get("outbox") or {}
            console.print(f"status {site}/{camera}: {status.get('state')}, outbox depth {outbox.get('depth')}, "
                          f"faults {status.get('faults', [])}", markup=False)
        return 0
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s backoffice %(levelname)s %(message)s")
    commands = {"serve": serve, "worker": run_worker, "review": review, "officer": add_officer, "purge": run_purge}
    try:
        if args.command in commands:
            return commands[args.command](args)
        return show(args, Console(width=None if sys.stdout.isatty() else 160))
    except EtleError as exc:
        print(f"backoffice: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
