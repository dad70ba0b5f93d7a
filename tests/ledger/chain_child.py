"""A pipeline stand-in for the SIGKILL test: recover, say "ready", then sign events until killed.

Usage: python -m tests.ledger.chain_child WORKDIR COUNT   (COUNT 0: forever)
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from edge.ledger.chain import ChainState, recover
from edge.ledger.config import PRIVATE_KEY_FILE
from edge.ledger.keys import PUBLIC_JWK_FILE, load_public_keys, load_signer
from tests.builders import DEVICE_ID, Device, context


def main(workdir: Path, count: int) -> None:
    signer = load_signer(workdir / "keys" / PRIVATE_KEY_FILE)
    state = ChainState.open(workdir / "chain.json", DEVICE_ID)
    root = workdir / "evidence"
    recover(state, root, signer, boot_id=str(uuid.uuid4()), now=datetime.now(UTC))
    site_dir = workdir / "site" / str(uuid.uuid4())
    site_dir.mkdir(parents=True)
    device = Device(root, workdir / "keys", signer, load_public_keys(workdir / "keys" / PUBLIC_JWK_FILE), state,
                    context(site_dir))
    print("ready", flush=True)
    emitted = 0
    while count == 0 or emitted < count:
        device.emit()
        emitted += 1


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
