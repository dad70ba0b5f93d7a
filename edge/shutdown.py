"""A clean stop on SIGTERM and SIGINT, the way systemd and docker stop a service.

Python's default for SIGTERM ends the process on the spot: the broker publishes the last will
("offline"), and violations still waiting for their after-frames or their plate are declared lost
in gap records at the next start. Inside `stop_on_signals` the first signal only sets a stop
event: the frame loop stops reading frames, the evidence of the violations in hand is written,
the outbox drains for its bounded time, "stopped" is published, and the process exits 0. A second
signal is the impatient operator: it gets the default action at once (the journal still recovers
whatever was in flight, as after a crash).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_on_signals(stop: threading.Event, said: Callable[[str], None]) -> Iterator[threading.Event]:
    """Within this block the first SIGTERM or SIGINT sets `stop` and calls `said(signal name)`;
    a second one ends the process by its default action. Handlers are restored on leaving.
    Only the main thread may install handlers: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(number: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            signal.signal(number, signal.SIG_DFL if number != signal.SIGINT else signal.default_int_handler)
            if number == signal.SIGINT:
                raise KeyboardInterrupt
            os.kill(os.getpid(), number)
            return
        stop.set()
        said(signal.Signals(number).name)

    previous = {number: signal.signal(number, handle) for number in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
