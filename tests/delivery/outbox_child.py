"""Writes to an outbox as fast as it can until SIGKILLed; prints each seq after its commit.

Usage: python -m tests.delivery.outbox_child OUTBOX_PATH
"""

from __future__ import annotations

import sys
import time
import uuid
from itertools import count
from pathlib import Path

from edge.contract.receipts import Receipt
from edge.delivery.outbox import Outbox
from edge.delivery.records import Entry


def main(path: Path) -> None:
    outbox = Outbox.open(path)
    start = max((row.entry.seq for row in outbox.rows()), default=0) + 1
    print("ready", flush=True)
    for seq in count(start):
        event_id = str(uuid.uuid4())
        outbox.add([Entry(event_id, "event", seq, f"folder-{seq}", 100 + seq)], time.time())
        print(f"added {seq} {event_id}", flush=True)
        if seq % 2:
            outbox.mark_sent([event_id], time.time())
        if seq % 3 == 0:
            outbox.settle([Receipt(event_id, "stored")], time.time())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
