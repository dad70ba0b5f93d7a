"""Trajectories in world metres: piecewise-constant acceleration along a lane, lane changes.

Everything here is about the footprint centre; the behaviours anchor motions on the front
bumper (what crosses a line first) and convert with half the vehicle's length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Motion:
    """Distance travelled: ``v0`` before ``t0``, then (accel, duration) segments, then constant speed."""

    t0: float
    v0: float
    segments: tuple[tuple[float, float], ...] = ()

    def s_at(self, t: F64) -> F64:
        s = self.v0 * (t - self.t0)  # before t0 (and the first segment's base)
        out = np.where(t < self.t0, s, 0.0)
        start, s0, v = self.t0, 0.0, self.v0
        done = t < self.t0
        for accel, dur in self.segments:
            tau = np.clip(t - start, 0.0, dur)
            inside = (~done) & (t < start + dur)
            out = np.where(inside, s0 + v * tau + 0.5 * accel * tau**2, out)
            done = done | inside
            s0, v, start = s0 + v * dur + 0.5 * accel * dur**2, max(0.0, v + accel * dur), start + dur
        return np.where(done, out, s0 + v * (t - start))

    def speed_at(self, t: F64) -> F64:
        dt = 1e-3
        return np.asarray((self.s_at(t + dt) - self.s_at(t - dt)) / (2 * dt), np.float64)

    @property
    def end_time(self) -> float:
        return self.t0 + sum(d for _, d in self.segments)


def cruise(t_anchor: float, v: float) -> Motion:
    return Motion(t_anchor, v)


def stop_and_go(t_rest: float, t_go: float, v_in: float, decel: float, v_out: float,
                accel: float) -> tuple[Motion, float]:
    """Brake evenly to rest at ``t_rest``, stand until ``t_go``, pull away; and the braking distance."""
    tb = v_in / decel
    segs = ((-decel, tb), (0.0, max(0.0, t_go - t_rest)), (accel, v_out / accel))
    return Motion(t_rest - tb, v_in, segs), v_in**2 / (2 * decel)


def creep_steps(t_rest: float, v_in: float, decel: float, steps: tuple[tuple[float, float], ...],
                v_out: float, accel: float) -> tuple[Motion, float]:
    """Brake to rest at ``t_rest``; then (dwell, advance metres) steps of stop-and-go; then away."""
    tb = v_in / decel
    segs: list[tuple[float, float]] = [(-decel, tb)]
    a = 1.5
    for dwell, advance in steps:
        half = float(np.sqrt(advance / a))
        segs += [(0.0, dwell), (a, half), (-a, half)]
    segs += [(0.0, 0.8), (accel, v_out / accel)]
    return Motion(t_rest - tb, v_in, tuple(segs)), v_in**2 / (2 * decel)


@dataclass(frozen=True)
class LaneChange:
    """The centre moves laterally by ``dx`` while Y runs from ``y_from`` to ``y_to`` (an S curve)."""

    dx: float
    y_from: float
    y_to: float

    def offset(self, y: F64) -> F64:
        k = np.clip((self.y_from - y) / (self.y_from - self.y_to), 0.0, 1.0)
        return self.dx * k * k * (3 - 2 * k)


@dataclass(frozen=True)
class Path:
    """Where the footprint centre is: Y from the motion (``sign`` -1: oncoming), X from the lane."""

    y_ref: float
    sign: int
    motion: Motion
    x0: float
    change: LaneChange | None = None

    def sample(self, times: F64) -> tuple[F64, F64]:
        ys = self.y_ref + self.sign * self.motion.s_at(times)
        xs = np.full_like(ys, self.x0) + (self.change.offset(ys) if self.change else 0.0)
        return xs, ys
