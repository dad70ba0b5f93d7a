"""Evidence work off the pipeline thread: plate reads and clip encoding, on one thread of their own.

A plate read is ~0.5 s on two CPU cores (plate detector and OCR over up to five frames) and a
clip ~0.2 s; inline, every violation and every odd-even suspect stalled detection that long.
The worker gets frames that are shared, never copied, and hands back futures; the evidence
scheduler (edge.evidence.schedule) writes folders in detection order as they resolve. At most
`max_waiting` jobs wait: past that, `submit` blocks the caller until the oldest is done, so a
flood slows the box but loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Protocol, TypeVar

import cv2

from edge.errors import EtleError
from edge.plates.detector import VehicleView
from edge.plates.reader import PlateOutcome

T = TypeVar("T")


class PlateStage(Protocol):
    """Reads the violating vehicle's plate from its views; `models` names the weights (role, file)."""

    models: tuple[tuple[str, Path], ...]

    def read(self, views: Sequence[VehicleView]) -> PlateOutcome: ...


def read_or_explain(stage: PlateStage, views: Sequence[VehicleView]) -> PlateOutcome:
    """The read, or no plate and why: a reader failure never loses the violation."""
    try:
        return stage.read(views)
    except (EtleError, ValueError, RuntimeError, cv2.error) as exc:
        # The violation is delivered all the same; the officer reads the plate off the pictures.
        return PlateOutcome(None, f"plate reading failed: {exc}", (), (), 0, None)


class EvidenceWorker:
    def __init__(self, max_waiting: int) -> None:
        self._max_waiting = max_waiting
        self._executor: ThreadPoolExecutor | None = None
        self._waiting: set[Future[object]] = set()

    def submit(self, job: Callable[..., T], *args: object) -> Future[T]:
        self._waiting = {f for f in self._waiting if not f.done()}
        while len(self._waiting) >= self._max_waiting:
            _, still = wait(self._waiting, return_when=FIRST_COMPLETED)
            self._waiting = set(still)
        if self._executor is None:  # started lazily, and again after close()
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence")
        future = self._executor.submit(job, *args)
        self._waiting.add(future)  # type: ignore[arg-type]
        return future

    def close(self) -> None:
        """Wait for the jobs in flight and stop the thread."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self._waiting.clear()
