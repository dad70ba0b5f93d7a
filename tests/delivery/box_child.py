"""A box process for the fault tests: recover the chain, queue what is on disk, start the publisher,
say "ready", then sign and queue synthetic events until the chain holds --events records, and keep
publishing until SIGTERM (a clean stop: status "stopped"). SIGKILL may hit it anywhere.

Usage: python -m tests.delivery.box_child WORKDIR --port PORT --events N [--rate R] [--resend S]
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from edge.contract.topics import Topics
from edge.delivery.config import DeliveryConfig
from edge.delivery.service import Delivery, DeliverySetup
from edge.delivery.status import HealthBoard, Identity
from edge.ledger.seal import Sealer
from edge.mqtt.config import BrokerConfig
from tests.delivery.synth import CAMERA, DEVICE_ID, SITE, committed_seq, emit, load_template


def delivery_config(port: int, resend_after_s: float, **overrides: object) -> DeliveryConfig:
    """The fault tests' settings: quick resends and reconnects, every receipted record deleted at once."""
    return DeliveryConfig.model_validate({
        "broker": BrokerConfig(host="127.0.0.1", port=port, keepalive_s=5, connect_timeout_s=3),
        "resend_after_s": resend_after_s, "retention_s": 0, "reconnect_min_s": 0.05, "reconnect_max_s": 0.5,
        "inflight_records": 64, "status_interval_s": 2.0, **overrides,
    })


def setup_for(workdir: Path, config: DeliveryConfig, kid: str | None = None) -> DeliverySetup:
    return DeliverySetup(config, Topics("etle/v1", SITE, CAMERA), workdir / "evidence",
                         Identity(DEVICE_ID, SITE, CAMERA, "test", kid=kid))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--events", type=int, required=True, help="stop signing once the chain holds this many")
    parser.add_argument("--rate", type=float, default=100.0, help="events per second")
    parser.add_argument("--resend", type=float, default=2.0)
    parser.add_argument("--media-bytes", type=int, default=512)
    args = parser.parse_args()
    workdir: Path = args.workdir
    logging.basicConfig(filename=workdir / "box.log", level=logging.INFO,
                        format="%(asctime)s %(process)d %(threadName)s %(levelname)s %(message)s")
    stop = threading.Event()

    def _terminate(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _terminate)
    keys, root = workdir / "keys", workdir / "evidence"
    sealer = Sealer.open(keys, DEVICE_ID, str(uuid.uuid4()))
    sealer.recover(root, datetime.now(UTC))
    delivery = Delivery.open(setup_for(workdir, delivery_config(args.port, args.resend), sealer.kid),
                             HealthBoard(), sealer)
    delivery.start()
    print("ready", flush=True)
    template = load_template(workdir)
    done = committed_seq(keys)
    next_at = time.monotonic()
    while done < args.events and not stop.is_set():
        record = emit(sealer, root, done + 1, template, args.media_bytes)
        delivery.stored(record)
        done += 1
        next_at += 1.0 / args.rate
        stop.wait(max(0.0, next_at - time.monotonic()))
    print("signed", flush=True)
    stop.wait()
    delivery.stop()
    sealer.close()


if __name__ == "__main__":
    main()
