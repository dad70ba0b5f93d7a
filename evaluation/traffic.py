"""The rest of the catalogue (no-stopping box, occlusion by a passing bus, background) and
the table from behaviour name to builder."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from evaluation import behaviours as b
from evaluation.behaviours import Bodies, Ctx, Plan, Rng
from evaluation.motion import Path, creep_steps, cruise, stop_and_go
from evaluation.vehicles import Body, VClass

Builder = Callable[[Rng, Ctx, Bodies], "list[Plan] | None"]


def _zone_lanes(ctx: Ctx, cls: VClass) -> list[int]:
    first, last = ctx.lay.zone_lanes
    return [k for k in ctx.general(cls) if first <= k <= last]


def _box_entry(rng: Rng, ctx: Ctx, bodies: Bodies) -> tuple[int, Body, float, float, float] | None:
    """A lane through the box, a body, its speed, where its centre rests and when it crosses on green."""
    cls = b._pick(rng, {"car": 3, "pickup": 1})
    lanes = _zone_lanes(ctx, cls)
    if not lanes:
        return None
    lane = lanes[int(rng.integers(len(lanes)))]
    body = bodies(cls, lane)
    y0, y1 = ctx.lay.zone_y
    if y1 - y0 < 2.0:  # the centre must rest inside, a metre clear of either edge
        return None
    y_rest = float(rng.uniform(y0 + 0.3 * (y1 - y0), y0 + 0.7 * (y1 - y0))) if y1 - y0 > 3 else (y0 + y1) / 2
    v = ctx.limit_ms(lane) * float(rng.uniform(0.4, 0.55))
    t_cross = b._green_time(rng, ctx, body, v, early=4.0)
    return None if t_cross is None else (lane, body, v, y_rest, t_cross)


def illegal_stop(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    got = _box_entry(rng, ctx, bodies)
    if got is None:
        return None
    lane, body, v, y_rest, t_cross = got
    dwell = ctx.lay.max_dwell_s + float(rng.uniform(2.5, 4.0))
    # braking from the stop line to the rest point at constant deceleration
    dist = ctx.lay.stop_y - (y_rest - body.length / 2)
    decel = v * v / (2 * max(dist, 1.0))
    t_rest = t_cross + 2 * max(dist, 1.0) / v
    if t_rest + dwell > ctx.duration - 2.0:
        return None
    motion, braking = stop_and_go(t_rest, t_rest + dwell, v, decel, v, 2.0)
    path = Path(y_rest + braking, -1, motion, b._x(rng, ctx, lane, body))
    return [Plan("illegal_stop", None, body, lane, path, v)]


def queue_in_box(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    got = _box_entry(rng, ctx, bodies)
    if got is None:
        return None
    lane, body, v, y_rest, t_cross = got
    y_first = min(y_rest + 1.5, ctx.lay.zone_y[1] - 0.5)
    dist = ctx.lay.stop_y - (y_first - body.length / 2)
    t_rest = t_cross + 2 * max(dist, 1.0) / v
    short = max(0.6, ctx.lay.max_dwell_s - 1.2)
    steps = tuple((float(rng.uniform(0.6, short)), float(rng.uniform(1.0, 1.5))) for _ in range(2))
    motion, braking = creep_steps(t_rest, v, v * v / (2 * max(dist, 1.0)), steps, v, 2.0)
    if motion.end_time > ctx.duration - 2.0:
        return None
    path = Path(y_first + braking, -1, motion, b._x(rng, ctx, lane, body))
    return [Plan("queue_in_box", "queue_in_box", body, lane, path, v)]


def _occluder(rng: Rng, ctx: Ctx, bodies: Bodies, target: Plan) -> Plan | None:
    """A bus in the lane beside the target, on the camera's side, overtaking it in the near field."""
    side = 1 if ctx.camera_x > ctx.lay.centre(target.lane) else -1
    lane = target.lane + side
    if lane not in ctx.general("bus") and not (lane == 0 and ctx.lay.busway):
        lane = target.lane - side
        if lane not in ctx.general("bus") and not (lane == 0 and ctx.lay.busway):
            return None
    bus = bodies("bus", lane)
    v = min(ctx.limit_ms(lane) * 0.85, target.cruise_ms * 1.6)
    y_meet = ctx.lay.stop_y + float(rng.uniform(4.0, 12.0))
    t_meet = target.path.motion.t0 + (target.path.y_ref - (y_meet + target.body.length / 2)) / target.cruise_ms
    y_bus = y_meet + bus.length / 2 - 1.0
    plan = Plan("pass_green", None, bus, lane, Path(y_bus, -1, cruise(t_meet, v), ctx.lay.centre(lane)), v)
    t_bus_stop = t_meet - (y_bus - bus.length / 2 - ctx.lay.stop_y) / v
    state = ctx.signals.state_at(int(t_bus_stop * ctx.fps))
    return plan if state == "green" else None


def occluded_pass(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    cls = b._pick(rng, {"car": 2, "motorcycle": 1})
    target = b.straight("occluded_pass", rng, ctx, bodies, b.Want(cls, ctx.general(cls), (0.4, 0.55)))
    bus = None if target is None else _occluder(rng, ctx, bodies, target)
    return None if target is None or bus is None else [target, bus]


def reentry_violator(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    if ctx.lay.busway and 0 in ctx.usable:
        cls = b._pick(rng, {"car": 2, "motorcycle": 1})
        target = b.straight("reentry_violator", rng, ctx, bodies, b.Want(cls, [0], (0.4, 0.55)))
    else:
        lanes = [ctx.ban_lane] if ctx.ban_lane in ctx.usable else []
        target = b.straight("reentry_violator", rng, ctx, bodies, b.Want("truck", lanes, (0.4, 0.55)))
    bus = None if target is None else _occluder(rng, ctx, bodies, target)
    return None if target is None or bus is None else [target, bus]


def pass_green(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    cls = b._pick(rng, {"car": 4, "motorcycle": 4, "pickup": 1, "bus": 0.6, "truck": 0.6})
    lanes = ctx.general(cls) + (b._busway_lanes(ctx) if cls == "bus" else [])
    plan = b.straight("pass_green", rng, ctx, bodies, b.Want(cls, lanes))
    return None if plan is None else [plan]


BUILDERS: dict[str, Builder] = {
    "red_light_run": b.red_light_run, "creep_stop_on_red": b.creep_stop_on_red, "solid_cross": b.solid_cross,
    "wrong_way": b.wrong_way, "busway_intrusion": b.busway_intrusion, "class_ban": b.class_ban,
    "speeding": b.speeding, "illegal_stop": illegal_stop, "odd_even": b.odd_even,
    "reentry_violator": reentry_violator, "stop_short": b.stop_short, "amber_cross": b.amber_cross,
    "dashed_lane_change": b.dashed_lane_change, "tall_straight": b.tall_straight, "bus_in_busway": b.bus_in_busway,
    "outside_window": b.outside_window, "under_limit": b.under_limit, "odd_even_complies": b.odd_even_complies,
    "odd_even_exempt": b.odd_even_exempt, "occluded_pass": occluded_pass, "queue_in_box": queue_in_box,
    "pass_green": pass_green, "wait_red": b.wait_red,
}
_ = np  # numpy is the rng's home; keep the import explicit for readers
