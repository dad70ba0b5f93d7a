"""The privacy figures of the benchmark (issue 16): the cost of one violation's redacted copies
as a ratio to one detector run, and what the redaction hid in the events of a pipeline run."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from edge.detect.base import Detector
from edge.evidence.redaction import RedactionJob, run_redaction
from edge.privacy.config import PrivacyConfig
from edge.privacy.find import RegionFinder
from edge.sources import Frame


def redaction_ms(frames: list[Frame], detector: Detector, fps: float, repeat: int) -> float:
    """Median ms for one violation's redacted copies as the evidence worker makes them: three
    stills and a 4 s clip (the default 2 s before and after the act) of `frames`, the largest
    vehicle in the last one standing for the violator."""
    found = detector.detect(frames[-1].image).xyxy.tolist()
    x1, y1, x2, y2 = max(found, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    box = (float(x1), float(y1), float(x2), float(y2))
    config = PrivacyConfig()
    finder = RegionFinder(config)
    spent = []
    for _ in range(repeat):
        # Fresh pixels each time: the finder keeps what it saw in a frame while that frame lives, so
        # a repeat on the same arrays would measure only the hiding and the encoding.
        clip = tuple(replace(f, image=f.image.copy()) for f in frames[-round(4 * fps):])
        job = RedactionJob((clip[0], clip[len(clip) // 2], clip[-1]), clip, {f.index: box for f in clip}, fps,
                           config)
        start = time.perf_counter()
        run_redaction(finder, job)
        spent.append(1000.0 * (time.perf_counter() - start))
    return sorted(spent)[len(spent) // 2]


def hidden(evidence: Path) -> dict[str, Any]:
    """Regions hidden in the events under an evidence root, by kind."""
    kinds: Counter[str] = Counter()
    events = 0
    for path in evidence.glob("*/event.json"):
        event = json.loads(path.read_text())
        events += 1
        kinds.update(r["kind"] for r in (event.get("privacy") or {}).get("regions", []))
    return {"events": events, "regions": sum(kinds.values()), "by_kind": dict(kinds)}
