"""The back office tests' shared makings: a store holding three real signed violations (the
evidence builder's JPEGs and clip, ingested by the real ingest), officers, and a signed-in client;
and the same with redacted copies (`redacting_office`: the box's real redaction, with the regions
to hide given instead of detected)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from backoffice.accounts import Accounts
from backoffice.ingest import Ingest, IngestConfig
from backoffice.store import Store
from edge.contract.topics import Topics, parse_topic
from edge.core import Box
from edge.delivery.records import messages, read_entry
from edge.evidence.config import EvidenceConfig
from edge.evidence.schedule import EvidenceScheduler
from edge.ledger.keys import load_public_keys
from edge.ledger.seal import Sealer
from edge.plates.config import PlateConfig
from edge.privacy.config import PrivacyConfig, Publish
from edge.privacy.find import Found
from edge.privacy.redact import Region
from edge.sources import Frame
from tests.builders import REPLAY, T0, context, sealer
from tests.builders import violation_at as violation
from tests.evidence.test_folders import builder

PASSWORD = "correct horse battery"
OFFICERS = (("sari", "Bripka Sari", "reviewer"), ("rina", "Kompol Rina", "supervisor"))
ORIGIN = "http://127.0.0.1"


PREFIX = "etle/v1"


@dataclass(frozen=True)
class Office:
    data: Path
    keys: Path
    event_ids: tuple[str, ...]


def scene(i: int) -> Frame:
    """A frame with a picture in it (a gradient that moves), so a browser has something to draw."""
    ramp = np.add.outer(np.arange(720), np.arange(1280) + 8 * i) % 256
    image = np.dstack([ramp, ramp[::-1], np.full_like(ramp, 90)]).astype(np.uint8)
    return Frame(image=image, index=i, captured_at=T0 + timedelta(seconds=i / 10))


class HideTheLeftHalf:
    """Stands in for the detectors (which find nothing on a synthetic gradient): the left half of
    every frame is a "bystander", so the redacted copies differ from the originals where a test
    can see it. The redaction itself (mosaic, copies, the signed event) is the box's own."""

    models: tuple[tuple[str, Path], ...] = ()

    def find(self, image: np.ndarray, violator: Box | None, tiles: bool = True) -> Found:
        height, width = image.shape[:2]
        return Found((Region((0, 0, width // 2, height), "person", 0.9, "bystander"),), ())


@pytest.fixture
def office(tmp_path: Path) -> Office:
    """Three signed red-light events, stored by the back office as if they came over MQTT."""
    seal = sealer(tmp_path)
    return stored_office(tmp_path, builder(tmp_path, tmp_path / "box", seal, clip=True), seal)


def redacting_office(tmp_path: Path, publish: Publish, clip: bool = False) -> Office:
    """The office of a box that redacts (`evidence.privacy.publish`: redacted or both): one event
    (redacting a clip takes a while on a small machine)."""
    seal = sealer(tmp_path)
    config = EvidenceConfig(directory=tmp_path / "box", plates=PlateConfig(enabled=False), clip=clip,
                            privacy=PrivacyConfig(publish=publish))
    box = EvidenceScheduler(context(tmp_path, "dev-1", REPLAY), config, fps=10, sealer=seal)
    box.redact_with(HideTheLeftHalf())
    return stored_office(tmp_path, box, seal, (30,))


def stored_office(tmp_path: Path, box: EvidenceScheduler, seal: Sealer, at: tuple[int, ...] = (30, 40, 50),
                  database: str | None = None) -> Office:
    records = []
    for i in range(80):
        records += box.on_frame(scene(i))
        if i in at:
            box.add(violation(i))
    records += box.flush()
    seal.close()
    assert len(records) == len(at)
    store = Store.open(tmp_path / "office", database)
    try:
        ingest = Ingest(store, load_public_keys(tmp_path / "keys"), IngestConfig())
        for record in records:
            entry, _ = read_entry(record.folder.parent, record.folder.name)
            site, camera = record.event["site"]["id"], record.event["camera_id"]  # type: ignore[index]
            for message in messages(record.folder.parent, entry, Topics(PREFIX, str(site), str(camera))):
                ref = parse_topic(PREFIX, message.topic)
                assert ref is not None
                handle = ingest.on_media if ref.channel == "media" else ingest.on_record
                answers = handle(ref, message.payload, time.time())
            assert [a.receipt.status for a in answers] == ["stored"]
    finally:
        store.close()
    add_officers(tmp_path / "office", database)
    return Office(tmp_path / "office", tmp_path / "keys", tuple(r.event_id for r in records))


def add_officers(data: Path, database: str | None = None) -> None:
    accounts = Accounts(Store.open(data, database))
    for username, name, role in OFFICERS:
        accounts.add(username, name, role, PASSWORD)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/login", content=httpx.QueryParams(username=username, password=password, next="/").__str__(),
                       headers={"content-type": "application/x-www-form-urlencoded", "origin": ORIGIN},
                       follow_redirects=False)


def csrf_of(page: str) -> str:
    found = re.search(r'name=csrf value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)
