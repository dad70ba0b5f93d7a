"""The charge each act earns, from the sampled path: kind, the frame the rule should decide
on, and a generous window of frames in which an event for it is right."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from evaluation.behaviours import CHARGE_KIND, Ctx, Plan

F64 = npt.NDArray[np.float64]
IDS = {"stop": "stop-1", "signal": "sig-1", "solid": "solid-1", "zone": "box-1", "busway": "busway-1",
       "ban": "no-trucks-1", "idle": "no-motorcycles-1", "odd_even": "ganjil-genap-1"}
NEAR_PX = 20.0  # a box at least this wide counts as seen well enough to judge


@dataclass(frozen=True)
class Track:
    """A vehicle's sampled path and how the camera sees it, frame by frame."""

    xs: F64
    ys: F64
    box_w: F64  # projected box width in pixels, 0 where out of view
    plate_px: F64  # plate width in pixels, 0 where not facing the camera


@dataclass(frozen=True)
class Charge:
    kind: str
    frame: int
    window: tuple[int, int]
    lane: str
    feature: str
    restrictions: tuple[str, ...] = ()
    details: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "frame": self.frame, "window": list(self.window), "lane": self.lane,
                "feature": self.feature, "restrictions": list(self.restrictions), **self.details}


def first_below(values: F64, line: float) -> int | None:
    """First frame whose value has fallen below ``line`` having been at or above it."""
    hits = np.nonzero((values[1:] < line) & (values[:-1] >= line))[0]
    return int(hits[0]) + 1 if len(hits) else None


def _seen(track: Track) -> tuple[int, int] | None:
    frames = np.nonzero(track.box_w >= NEAR_PX)[0]
    return (int(frames[0]), int(frames[-1])) if len(frames) else None


def charges(plan: Plan, track: Track, ctx: Ctx) -> list[Charge]:
    """The one charge of a violation (nothing for twins and background); raises if it cannot be placed."""
    kind = CHARGE_KIND[plan.behaviour]
    if kind is None:
        return []
    seen = _seen(track)
    if seen is None:
        raise ValueError(f"{plan.behaviour}: never seen large enough to judge")
    fps, lay, b = ctx.fps, ctx.lay, plan.body
    lane = lay.lane_id(plan.lane)
    front = track.ys - b.length / 2
    last = ctx.frames - 1
    if kind == "red_light":
        f_stop, f_junc = first_below(front, lay.stop_y), first_below(front, lay.junction_y)
        f_centre = first_below(track.ys, lay.junction_y)
        if f_stop is None or f_junc is None:
            raise ValueError("red_light_run does not reach the junction")
        into = f_stop / fps - ctx.signals.reds()[0][0] / fps
        red = ctx.signals.red_containing(f_stop)
        if red is not None:
            into = (f_stop - red[0]) / fps
        end = min(last, (f_centre or f_junc) + round(fps))
        return [Charge(kind, f_junc, (f_stop - 2, end), lane, IDS["stop"], (), {"time_into_red_s": round(into, 2)})]
    if kind == "stop_line":
        f_stop = first_below(front, lay.stop_y)
        red = None if f_stop is None else ctx.signals.red_containing(f_stop)
        if f_stop is None or red is None:
            raise ValueError("creep_stop_on_red does not cross on red")
        frame = min(last, f_stop + round(fps))
        past = float(lay.stop_y - front.min(initial=lay.stop_y, where=np.arange(len(front)) <= red[1]))
        return [Charge(kind, frame, (f_stop, min(last, red[1] + round(fps))), lane, IDS["stop"], (),
                       {"past_line_m": round(past, 2)})]
    if kind == "solid_line_crossing":
        side = np.sign(track.xs - lay.solid_x)
        flips = np.nonzero(side[1:] != side[:-1])[0]
        touch = np.nonzero(np.abs(track.xs - lay.solid_x) < b.width / 2)[0]
        if not len(flips) or not len(touch):
            raise ValueError("solid_cross never crosses")
        frame = int(flips[0]) + 1
        dest = lay.lane_id(lay.lane_at(float(track.xs[-1])))
        return [Charge(kind, frame, (int(touch[0]) - 2, min(last, frame + round(1.5 * fps))), dest, IDS["solid"])]
    if kind == "illegal_stop":
        still = np.nonzero(np.abs(np.diff(track.ys)) < 1e-6)[0]
        if not len(still):
            raise ValueError("illegal_stop never stops")
        rest, go = int(still[0]), int(still[-1]) + 1
        frame = min(last, rest + round(lay.max_dwell_s * fps))
        return [Charge(kind, frame, (frame - round(fps), min(last, go + round(fps))), lane, IDS["zone"], (),
                       {"dwell_s": round((go - rest) / fps, 2)})]
    window = (seen[0], seen[1])
    if kind == "wrong_way":
        return [Charge(kind, min(seen[1], seen[0] + round(1.5 * fps)), window, lane, lane)]
    if kind == "speeding":
        frame = first_below(track.ys, lay.stop_y) or seen[1]
        return [Charge(kind, frame, window, lane, lane, (),
                       {"speed_kmh": round(plan.cruise_ms * 3.6, 1),
                        "limit_kmh": float(lay.speed_limits_kmh[plan.lane])})]
    if kind == "odd_even":
        wide = np.nonzero(track.plate_px >= 80.0)[0]
        frame = int(wide[0]) if len(wide) else seen[0] + round(fps)
        return [Charge(kind, frame, window, lane, IDS["odd_even"], (IDS["odd_even"],))]
    restrictions = (IDS["busway"], lane) if lay.busway and plan.lane == 0 else (IDS["ban"],)
    return [Charge(kind, min(seen[1], seen[0] + round(fps)), window, lane, restrictions[0], restrictions)]
