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


def _red_light(plan: Plan, track: Track, ctx: Ctx) -> Charge:
    lay, fps = ctx.lay, ctx.fps
    front = track.ys - plan.body.length / 2
    f_stop, f_junc = first_below(front, lay.stop_y), first_below(front, lay.junction_y)
    f_centre = first_below(track.ys, lay.junction_y)
    red = None if f_stop is None else ctx.signals.red_containing(f_stop)
    if f_stop is None or f_junc is None or red is None:
        raise ValueError("red_light_run does not cross on red into the junction")
    end = min(ctx.frames - 1, (f_centre or f_junc) + round(fps))
    return Charge("red_light", f_junc, (f_stop - 2, end), lay.lane_id(plan.lane), IDS["stop"], (),
                  {"time_into_red_s": round((f_stop - red[0]) / fps, 2)})


def _stop_line(plan: Plan, track: Track, ctx: Ctx) -> Charge:
    lay, last = ctx.lay, ctx.frames - 1
    front = track.ys - plan.body.length / 2
    f_stop = first_below(front, lay.stop_y)
    red = None if f_stop is None else ctx.signals.red_containing(f_stop)
    if f_stop is None or red is None:
        raise ValueError("creep_stop_on_red does not cross on red")
    past = float(lay.stop_y - front[: red[1] + 1].min())
    return Charge("stop_line", min(last, f_stop + round(ctx.fps)), (f_stop, min(last, red[1] + round(ctx.fps))),
                  lay.lane_id(plan.lane), IDS["stop"], (), {"past_line_m": round(past, 2)})


def _solid(plan: Plan, track: Track, ctx: Ctx) -> Charge:
    lay = ctx.lay
    side = np.sign(track.xs - lay.solid_x)
    flips = np.nonzero(side[1:] != side[:-1])[0]
    touch = np.nonzero(np.abs(track.xs - lay.solid_x) < plan.body.width / 2)[0]
    if not len(flips) or not len(touch):
        raise ValueError("solid_cross never crosses")
    frame = int(flips[0]) + 1
    dest = lay.lane_id(lay.lane_at(float(track.xs[-1])))
    window = (int(touch[0]) - 2, min(ctx.frames - 1, frame + round(1.5 * ctx.fps)))
    return Charge("solid_line_crossing", frame, window, dest, IDS["solid"])


def _illegal_stop(plan: Plan, track: Track, ctx: Ctx) -> Charge:
    still = np.nonzero(np.abs(np.diff(track.ys)) < 1e-6)[0]
    if not len(still):
        raise ValueError("illegal_stop never stops")
    rest, go, last = int(still[0]), int(still[-1]) + 1, ctx.frames - 1
    frame = min(last, rest + round(ctx.lay.max_dwell_s * ctx.fps))
    return Charge("illegal_stop", frame, (frame - round(ctx.fps), min(last, go + round(ctx.fps))),
                  ctx.lay.lane_id(plan.lane), IDS["zone"], (), {"dwell_s": round((go - rest) / ctx.fps, 2)})


def _while_seen(kind: str, plan: Plan, track: Track, ctx: Ctx, seen: tuple[int, int]) -> Charge:
    """Acts judged all along the track (direction, speed, plate, lane use): right anywhere in view."""
    lay, fps = ctx.lay, ctx.fps
    lane = lay.lane_id(plan.lane)
    if kind == "wrong_way":
        return Charge(kind, min(seen[1], seen[0] + round(1.5 * fps)), seen, lane, lane)
    if kind == "speeding":
        frame = first_below(track.ys, lay.stop_y) or seen[1]
        return Charge(kind, frame, seen, lane, lane, (), {"speed_kmh": round(plan.cruise_ms * 3.6, 1),
                                                          "limit_kmh": float(lay.speed_limits_kmh[plan.lane])})
    if kind == "odd_even":
        wide = np.nonzero(track.plate_px >= 80.0)[0]
        frame = int(wide[0]) if len(wide) else seen[0] + round(fps)
        return Charge(kind, frame, seen, lane, IDS["odd_even"], (IDS["odd_even"],))
    # one act, one charge: a car in a busway whose lane admits buses only breaks both, named together
    restrictions = (IDS["busway"], lane) if lay.busway and plan.lane == 0 else (IDS["ban"],)
    return Charge(kind, min(seen[1], seen[0] + round(fps)), seen, lane, restrictions[0], restrictions)


PLACED = {"red_light": _red_light, "stop_line": _stop_line, "solid_line_crossing": _solid,
          "illegal_stop": _illegal_stop}


def charges(plan: Plan, track: Track, ctx: Ctx) -> list[Charge]:
    """The one charge of a violation (nothing for twins and background); raises if it cannot be placed."""
    kind = CHARGE_KIND[plan.behaviour]
    if kind is None:
        return []
    seen = _seen(track)
    if seen is None:
        raise ValueError(f"{plan.behaviour}: never seen large enough to judge")
    if kind in PLACED:
        return [PLACED[kind](plan, track, ctx)]
    return [_while_seen(kind, plan, track, ctx, seen)]
