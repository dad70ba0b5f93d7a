"""A small signing device for tests: the real keys, event builder, chain state and evidence store."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.config.load import load_site
from edge.core import ClockStatus, ModelIdentity, Violation
from edge.evidence.chain import ChainState
from edge.evidence.event import EventContext, FixedClock, MediaItem, build_event, new_event_id
from edge.evidence.keys import FileSigner, KeyRing, generate_keys, load_public_keys, load_signer
from edge.evidence.signing import sign_event, with_link
from edge.evidence.store import write_event_folder
from tests.test_config import GOOD, write

T0 = datetime(2026, 1, 15, 0, 30, tzinfo=UTC)
DEVICE_ID = "etle-test-0001"


def jpeg(seed: int, size: tuple[int, int] = (48, 64)) -> bytes:
    """A real JPEG of noise: every bit of it matters to its hash."""
    image = np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return bytes(buf.tobytes())


def context(tmp_path: Path) -> EventContext:
    site = load_site(write(tmp_path, GOOD))
    return EventContext(site=site, device_id=DEVICE_ID, boot_id="boot-1",
                        models=(ModelIdentity("vehicle_detector", "centernet.onnx", "a" * 64),),
                        clock=FixedClock(ClockStatus("chrony", True, -0.00012)), software_version="test")


def violation(index: int) -> Violation:
    return Violation(kind="red_light", track_id=index, vehicle_class="car", confidence=0.61, lane="l1",
                     feature="s1", detected_at=T0 + timedelta(seconds=index), frame_index=index * 10,
                     before_frame=index * 10 - 1, box=(500.0, 400.0, 700.0, 620.0),
                     details={"signal_state": "red", "time_into_red_s": 1.2})


def unsigned_event(ctx: EventContext, index: int, media: dict[str, bytes]) -> dict[str, Any]:
    items = [MediaItem(name=name, role="overview_at", sha256=hashlib.sha256(data).hexdigest(), bytes=len(data),
                       content_type="image/jpeg", frame_index=index * 10, captured_at=T0)
             for name, data in media.items()]
    return build_event(new_event_id(), ctx, violation(index), items)


@dataclass
class Device:
    """Follows the chain protocol of edge.evidence.chain, as the pipeline will."""

    root: Path
    keydir: Path
    signer: FileSigner
    keys: KeyRing
    state: ChainState
    ctx: EventContext
    count: int = 0

    @classmethod
    def create(cls, tmp_path: Path, root: Path | None = None) -> Device:
        keydir = tmp_path / "keys"
        info = generate_keys(keydir)
        state = ChainState.open(tmp_path / "chain.json", DEVICE_ID, create=True)
        return cls(root or tmp_path / "evidence", keydir, load_signer(info.private_key_path),
                   load_public_keys(info.public_jwk_path), state, context(tmp_path))

    def emit(self, media_size: tuple[int, int] = (48, 64), *, commit: bool = True) -> tuple[Path, str]:
        """Sign and store one event; commit=False stops where a crash after storing would."""
        self.count += 1
        media = {"overview_at.jpg": jpeg(self.count, media_size), "vehicle.jpg": jpeg(10_000 + self.count)}
        event = unsigned_event(self.ctx, self.count, media)
        link = self.state.next_link(event["event_id"])
        jws = sign_event(with_link(event, link.seq, link.prev_hash, self.signer.kid), self.signer)
        folder = write_event_folder(self.root, event["event_id"], {**media, "event.jws": jws.encode()},
                                    with_link(event, link.seq, link.prev_hash, self.signer.kid))
        if commit:
            self.state.commit(jws)
        return folder, jws
