"""How long to wait before reconnecting: one rule for the camera stream and the MQTT broker."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Exponential backoff with jitter (half to all of the ceiling), so a fleet of boxes behind
    one NAT, or one broker's restart, does not bring every client back in lockstep.
    `failures` counts the attempts since the last success."""

    first_s: float
    cap_s: float
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap_s, self.first_s * 2.0 ** min(self.failures, 30))
        self.failures += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0
