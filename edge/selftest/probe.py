"""What a check returns, and the runner that bounds it in time.

A dead camera or broker can block inside a native call (FFmpeg waits 30 s for an RTSP answer)
that no Python code can interrupt, so each check runs on a daemon thread of its own and the
runner stops waiting at the deadline: the check is reported as failed and its thread is left
to finish or die with the process. `Budget.cancel` tells a check that still runs to give up at
its next chance (a stream stops reconnecting).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["pass", "fail", "skip"]
# A check gets this share of the time limit for its own deadline, so that it normally says
# itself what it was waiting for before the runner gives up on it.
OWN_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class Finding:
    """A check's verdict, before the runner names and times it."""

    status: Status
    detail: str


def passed(detail: str) -> Finding:
    return Finding("pass", detail)


def failed(detail: str) -> Finding:
    return Finding("fail", detail)


def skipped(detail: str) -> Finding:
    """Only where the check does not apply, or was asked to be left out: never to hide a failure."""
    return Finding("skip", detail)


@dataclass(frozen=True, slots=True)
class Check:
    """One row of the report."""

    name: str
    status: Status
    detail: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status != "fail"


@dataclass(frozen=True, slots=True)
class Budget:
    """A check's own deadline (monotonic clock), and the runner's request to stop."""

    at: float
    cancel: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def of(cls, seconds: float) -> Budget:
        return cls(time.monotonic() + seconds)

    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def over(self) -> bool:
        return self.cancel.is_set() or time.monotonic() >= self.at


@dataclass(frozen=True, slots=True)
class Probe:
    """A check to run: its name, what it waits on and for what (said when it times out), and the check."""

    name: str
    subject: str
    run: Callable[[Budget], Finding]
    awaited: str = "answer"
    # A check on the box's own CPU (model inference) cannot hang on a network: it is waited for to
    # the end and fails if it took longer than the limit. Abandoned instead, its ONNX Runtime
    # session would still be running at exit, and the runtime aborts the process (SIGABRT).
    local: bool = False


def run_bounded(probe: Probe, timeout_s: float) -> Check:
    """The probe's finding, or a failure once `timeout_s` has passed; never raises."""
    box: list[Finding] = []
    budget = Budget.of(timeout_s * OWN_SHARE)

    def work() -> None:
        try:
            box.append(probe.run(budget))
        except Exception as exc:  # a crashing check is a failed check, not a crashed selftest
            box.append(failed(f"{probe.subject}: {type(exc).__name__}: {exc}"))

    start = time.monotonic()
    thread = threading.Thread(target=work, name=f"selftest-{probe.name}", daemon=True)
    thread.start()
    thread.join(None if probe.local else timeout_s)
    seconds = time.monotonic() - start
    if box and probe.local and seconds > timeout_s:
        return Check(probe.name, "fail", f"{probe.subject}: answered in {seconds:.1f} s, over the limit of "
                     f"{timeout_s:g} s (too slow for this box?): {box[0].detail}", seconds)
    if not box:
        budget.cancel.set()
        return Check(probe.name, "fail", f"{probe.subject}: no {probe.awaited} within {timeout_s:g} s", seconds)
    return Check(probe.name, box[0].status, box[0].detail, seconds)


def not_run(name: str, finding: Finding) -> Check:
    """A row for a check decided without running anything (left out, or nothing to check)."""
    return Check(name, finding.status, finding.detail, 0.0)
