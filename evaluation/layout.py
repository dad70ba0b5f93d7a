"""The road of one scene in world metres: lanes, markings, zones and the signal plan.

Traffic approaches the camera (falling Y), crosses the stop line, the zebra, then the
junction-entry line (the zebra's far edge) and enters the junction, where a yellow box
(no stopping) may be painted. lane-1 runs along the median (X = 0); a busway is lane-1,
as TransJakarta's are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

STOP_HALF_M = 0.2  # Indonesian stop lines are 0.3-0.6 m wide
LINE_HALF_M = 0.075  # lane separators are 0.15 m wide
DASH_M, GAP_M = 3.0, 5.0

State = Literal["green", "amber", "red"]
SignalMount = Literal["right_pole", "left_pole", "gantry"]


@dataclass(frozen=True)
class Layout:
    lane_widths: tuple[float, ...]
    busway: bool
    stop_y: float  # centre of the stop line
    junction_gap_m: float  # stop line -> junction-entry line
    solid_sep: int  # the separator right of lane index solid_sep - 1 is solid near the stop line
    solid_len_m: float
    zone_lanes: tuple[int, int]  # first and last lane index under the yellow box
    zone_y: tuple[float, float]
    max_dwell_s: float
    speed_limits_kmh: tuple[int, ...]
    signal_mount: SignalMount
    signal_xy: tuple[float, float]
    lamp_radius_m: float
    signal_top_m: float  # height of the head's top

    @property
    def n_lanes(self) -> int:
        return len(self.lane_widths)

    @property
    def edges(self) -> tuple[float, ...]:
        out = [0.0]
        for w in self.lane_widths:
            out.append(out[-1] + w)
        return tuple(out)

    @property
    def road_w(self) -> float:
        return self.edges[-1]

    @property
    def junction_y(self) -> float:
        return self.stop_y - self.junction_gap_m

    @property
    def zebra_y(self) -> tuple[float, float]:
        return self.junction_y, self.stop_y - 1.0

    @property
    def solid_x(self) -> float:
        return self.edges[self.solid_sep]

    @property
    def solid_y(self) -> tuple[float, float]:
        return self.stop_y + 0.6, self.stop_y + self.solid_len_m

    @property
    def zone_x(self) -> tuple[float, float]:
        return self.edges[self.zone_lanes[0]], self.edges[self.zone_lanes[1] + 1]

    def lane_id(self, k: int) -> str:
        return f"lane-{k + 1}"

    def centre(self, k: int) -> float:
        return (self.edges[k] + self.edges[k + 1]) / 2

    def lane_at(self, x: float) -> int:
        """Index of the lane holding X, or -1 off the carriageway."""
        for k in range(self.n_lanes):
            if self.edges[k] <= x < self.edges[k + 1]:
                return k
        return -1

    def in_zone(self, x: float, y: float) -> bool:
        (x0, x1), (y0, y1) = self.zone_x, self.zone_y
        return x0 <= x <= x1 and y0 <= y <= y1

    def lamp_centres(self) -> dict[str, tuple[float, float, float]]:
        """World centres of the three lamps (they face the camera, as a repeater head does)."""
        x, y = self.signal_xy
        step = 2.6 * self.lamp_radius_m
        top = self.signal_top_m - 0.3 * step
        return {c: (x, y, top - (k + 0.5) * step) for k, c in enumerate(("red", "amber", "green"))}


@dataclass(frozen=True)
class SignalPlan:
    """Phases in frames, inclusive: (state, first, last), covering the whole clip."""

    phases: tuple[tuple[State, int, int], ...]

    def state_at(self, frame: int) -> State:
        for state, first, last in self.phases:
            if first <= frame <= last:
                return state
        return self.phases[-1][0]

    def reds(self) -> list[tuple[int, int]]:
        return [(a, b) for s, a, b in self.phases if s == "red"]

    def greens(self) -> list[tuple[int, int]]:
        return [(a, b) for s, a, b in self.phases if s == "green"]

    def red_containing(self, frame: int) -> tuple[int, int] | None:
        return next(((a, b) for a, b in self.reds() if a <= frame <= b), None)

    @classmethod
    def cycle(cls, fps: float, frames: int, green_s: float, amber_s: float, red_s: float,
              offset_s: float) -> SignalPlan:
        """A fixed-time cycle (green, amber, red) entered ``offset_s`` into its green."""
        lengths: list[tuple[State, int]] = [
            ("green", round(green_s * fps)), ("amber", round(amber_s * fps)), ("red", round(red_s * fps))]
        phases: list[tuple[State, int, int]] = []
        start, k = -round(offset_s * fps), 0
        while start < frames:
            state, n = lengths[k % 3]
            first, last = max(start, 0), min(start + n - 1, frames - 1)
            if last >= first:
                phases.append((state, first, last))
            start += n
            k += 1
        return cls(tuple(phases))
