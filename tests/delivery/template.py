"""The shape of a real event, made by the real event builder (through tests.builders, which
its owners keep current), so that the synthetic events follow the schema as it evolves. Made once
per process; box processes read it from a file instead, so they never import the vision stack."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from tests.builders import context, unsigned_event
from tests.delivery.synth import TEMPLATE_FILE


@cache
def event_template() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="etle-template-") as tmp:
        event: dict[str, Any] = unsigned_event(context(Path(tmp)), 1, {"overview_at.bin": b"template"})
    return event


def write_template(workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / TEMPLATE_FILE).write_text(json.dumps(event_template()))
