"""What each vehicle does (a path in world metres over time) and the charge that earns.

Violations each earn one charge; near-miss twins look like a violation and earn none;
background traffic is compliant. Motions are anchored on the front bumper, since that is
what crosses a line first. Charges are computed from the sampled path in `charges.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from evaluation.layout import STOP_HALF_M, Layout, SignalPlan
from evaluation.motion import LaneChange, Motion, Path, cruise, stop_and_go
from evaluation.vehicles import Body, VClass

VIOLATIONS = ("red_light_run", "creep_stop_on_red", "solid_cross", "wrong_way", "busway_intrusion", "class_ban",
              "speeding", "illegal_stop", "odd_even", "reentry_violator")
TWINS = ("stop_short", "amber_cross", "dashed_lane_change", "tall_straight", "bus_in_busway", "outside_window",
         "under_limit", "odd_even_complies", "odd_even_exempt", "occluded_pass", "queue_in_box")
BACKGROUND = ("pass_green", "wait_red")
CHARGE_KIND: dict[str, str | None] = {
    "red_light_run": "red_light", "creep_stop_on_red": "stop_line", "solid_cross": "solid_line_crossing",
    "wrong_way": "wrong_way", "busway_intrusion": "restricted_lane", "class_ban": "restricted_lane",
    "speeding": "speeding", "illegal_stop": "illegal_stop", "odd_even": "odd_even",
    "reentry_violator": "restricted_lane", **dict.fromkeys(TWINS + BACKGROUND)}


@dataclass(frozen=True)
class Ctx:
    """What a behaviour needs to know about its scene."""

    lay: Layout
    signals: SignalPlan
    fps: float
    frames: int
    usable: tuple[int, ...]  # lanes seen whole in the near field
    near_y: float  # the nearest ground Y in view
    ban_lane: int  # trucks banned here, now
    idle_lane: int  # motorcycles banned here, but not at this hour
    odd_even_lanes: tuple[int, ...]  # empty where plates are too small for odd-even
    camera_x: float
    flow: tuple[float, ...]  # each lane's traffic speed, a share of its limit: followers keep their distance

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    def general(self, cls: VClass) -> list[int]:
        lanes = [k for k in self.usable if not (self.lay.busway and k == 0)]
        # a pick-up is a truck to a COCO detector: keep it out of the no-trucks lane too
        return [k for k in lanes if not (cls in ("truck", "pickup") and k == self.ban_lane)]

    def limit_ms(self, lane: int) -> float:
        return self.lay.speed_limits_kmh[lane] / 3.6


@dataclass(frozen=True)
class Plan:
    behaviour: str
    near_miss: str | None
    body: Body
    lane: int
    path: Path
    cruise_ms: float
    wrong_parity: bool = False


Bodies = Callable[[VClass, int], Body]
Rng = np.random.Generator


def _pick(rng: Rng, options: dict[VClass, float]) -> VClass:
    names = list(options)
    p = np.array([options[n] for n in names])
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _x(rng: Rng, ctx: Ctx, lane: int, body: Body, toward: float = 0.0) -> float:
    """Lateral position: near the lane centre, or pushed ``toward`` (-1 left, +1 right) to the edge."""
    slack = max(0.0, (ctx.lay.lane_widths[lane] - body.width) / 2 - 0.12)
    if toward:
        return ctx.lay.centre(lane) + toward * slack * rng.uniform(0.6, 1.0)
    return ctx.lay.centre(lane) + rng.uniform(-0.3, 0.3) * slack


def _green_time(rng: Rng, ctx: Ctx, body: Body, v: float, early: float = 3.0) -> float | None:
    """When the front may cross the stop line in green, the tail clearing the junction line before amber."""
    clear = (ctx.lay.junction_gap_m + body.length + 1.0) / v
    spans = []
    for g0, g1 in ctx.signals.greens():
        lo, hi = max(g0 / ctx.fps + 0.3, early), (g1 + 1) / ctx.fps - clear - 0.3
        if g1 == ctx.frames - 1:
            hi = ctx.duration - 1.0
        if hi > lo:
            spans.append((lo, hi))
    if not spans:
        return None
    lo, hi = spans[int(rng.integers(len(spans)))]
    return float(rng.uniform(lo, hi))


def _red(rng: Rng, ctx: Ctx, tail_s: float) -> tuple[float, float] | None:
    """A red phase (start, end in seconds) that ends ``tail_s`` before the clip does."""
    reds = [(a / ctx.fps, (b + 1) / ctx.fps) for a, b in ctx.signals.reds()
            if a / ctx.fps >= 4.0 and (b + 1) / ctx.fps + tail_s <= ctx.duration]
    return reds[int(rng.integers(len(reds)))] if reds else None


Seat = tuple[Body, int, float]  # the vehicle, its lane and its lateral position


def _twin(name: str) -> str | None:
    return name if name in TWINS else None


def _through(name: str, seat: Seat, at: tuple[float, float, float], change: LaneChange | None = None,
             wrong: bool = False) -> Plan:
    """An oncoming vehicle at constant speed ``at`` = (front Y, time, speed): the front passes Y then."""
    (body, lane, x), (y_front, t, v) = seat, at
    path = Path(y_front + body.length / 2, -1, cruise(t, v), x, change)
    return Plan(name, _twin(name), body, lane, path, v, wrong)


def _stopping(name: str, seat: Seat, y_front: float, t_rest: float, t_go: float, v: float) -> Plan:
    body, lane, x = seat
    motion, dist = stop_and_go(t_rest, t_go, v, 2.8, v, 2.0)
    return Plan(name, _twin(name), body, lane, Path(y_front + body.length / 2 + dist, -1, motion, x), v)


@dataclass(frozen=True)
class Want:
    """What a straight-through act asks for: class, lanes, speed as a share of the limit, plate, lateral push."""

    cls: VClass
    lanes: list[int]
    speed_k: tuple[float, float] = (0.6, 0.85)  # this default means: the lane's flow speed
    wrong_parity: bool = False
    toward: float = 0.0


def straight(name: str, rng: Rng, ctx: Ctx, bodies: Bodies, want: Want) -> Plan | None:
    """Drive straight through on green in one of the lanes (the common case of most acts)."""
    if not want.lanes:
        return None
    lane = want.lanes[int(rng.integers(len(want.lanes)))]
    body = bodies(want.cls, lane)
    flow = want.speed_k == (0.6, 0.85)
    k = ctx.flow[lane] * float(rng.uniform(0.97, 1.03)) if flow else float(rng.uniform(*want.speed_k))
    v = ctx.limit_ms(lane) * k
    t = _green_time(rng, ctx, body, v)
    if t is None:
        return None
    seat = (body, lane, _x(rng, ctx, lane, body, want.toward))
    return _through(name, seat, (ctx.lay.stop_y, t, v), wrong=want.wrong_parity)


def red_light_run(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    cls = _pick(rng, {"car": 5, "motorcycle": 3, "pickup": 1, "truck": 1})
    red, lanes = _red(rng, ctx, 3.0), ctx.general(cls)
    if red is None or not lanes:
        return None
    lane = lanes[int(rng.integers(len(lanes)))]
    body = bodies(cls, lane)
    v = ctx.limit_ms(lane) * ctx.flow[lane] * float(rng.uniform(0.97, 1.03))
    t = red[0] + float(rng.uniform(1.0, max(1.2, red[1] - red[0] - 3.0)))
    return [_through("red_light_run", (body, lane, _x(rng, ctx, lane, body)), (ctx.lay.stop_y, t, v))]


def _at_red(name: str, rng: Rng, ctx: Ctx, bodies: Bodies, cls: VClass,
            past_m: Callable[[Body], float]) -> list[Plan] | None:
    """Come to rest on red with the front ``past_m`` beyond the stop line; go on after green."""
    red, lanes = _red(rng, ctx, 6.0), ctx.general(cls)
    if red is None or not lanes:
        return None
    lane = lanes[int(rng.integers(len(lanes)))]
    body = bodies(cls, lane)
    v = ctx.limit_ms(lane) * float(rng.uniform(0.45, 0.7))
    t_rest = red[0] + float(rng.uniform(2.5, 4.5))
    t_go = red[1] + float(rng.uniform(0.8, 2.0))
    y = ctx.lay.stop_y - past_m(body)
    return [_stopping(name, (body, lane, _x(rng, ctx, lane, body)), y, t_rest, t_go, v)]


def creep_stop_on_red(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    gap = ctx.lay.junction_gap_m

    def past(body: Body) -> float:
        return float(np.clip(rng.uniform(0.5, 0.7) * gap, 1.5, min(3.0, gap - 1.2)))

    return _at_red("creep_stop_on_red", rng, ctx, bodies, _pick(rng, {"car": 5, "motorcycle": 3, "pickup": 1}),
                   past)


def stop_short(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    cls = _pick(rng, {"car": 5, "motorcycle": 3, "pickup": 1, "bus": 1})
    return _at_red("stop_short", rng, ctx, bodies, cls, lambda b: -(STOP_HALF_M + 0.3))


def wait_red(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    cls = _pick(rng, {"car": 5, "motorcycle": 4, "pickup": 1})
    return _at_red("wait_red", rng, ctx, bodies, cls, lambda b: -float(rng.uniform(1.5, 4.0)))


def amber_cross(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    cls = _pick(rng, {"car": 5, "motorcycle": 3, "pickup": 1, "bus": 1, "truck": 1})
    red, lanes = _red(rng, ctx, 2.0), ctx.general(cls)
    if red is None or not lanes:
        return None
    lane = lanes[int(rng.integers(len(lanes)))]
    body = bodies(cls, lane)
    v = ctx.limit_ms(lane) * ctx.flow[lane] * float(rng.uniform(0.97, 1.03))
    t_tail = red[0] - float(rng.uniform(0.4, 1.0))  # the tail passes the junction line before red
    t = t_tail - (ctx.lay.junction_gap_m + body.length) / v
    return [_through("amber_cross", (body, lane, _x(rng, ctx, lane, body)), (ctx.lay.stop_y, t, v))]


def _lane_change(name: str, rng: Rng, ctx: Ctx, bodies: Bodies, y_mid: float) -> list[Plan] | None:
    s = ctx.lay.solid_sep
    pair = [s - 1, s]
    if not all(k in ctx.general("car") for k in pair):
        return None
    cls = _pick(rng, {"car": 5, "motorcycle": 3, "pickup": 1})
    src = pair[int(rng.integers(2))]
    dst = pair[0] if src == pair[1] else pair[1]
    body = bodies(cls, min(pair, key=lambda k: ctx.lay.lane_widths[k]))
    v = min(ctx.limit_ms(src), ctx.limit_ms(dst)) * float(rng.uniform(0.55, 0.8))
    t = _green_time(rng, ctx, body, v)
    if t is None:
        return None
    half = float(rng.uniform(3.5, 5.0))
    x0 = ctx.lay.centre(src)
    change = LaneChange(ctx.lay.centre(dst) - x0, y_mid + half, y_mid - half)
    return [_through(name, (body, src, x0), (ctx.lay.stop_y, t, v), change)]


def solid_cross(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    y0, y1 = ctx.lay.solid_y
    return _lane_change("solid_cross", rng, ctx, bodies, float(rng.uniform(y0 + 6.0, y1 - 6.0)))


def dashed_lane_change(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    y1 = ctx.lay.solid_y[1]
    return _lane_change("dashed_lane_change", rng, ctx, bodies,
                        float(rng.uniform(y1 + 8.0, y1 + 12.0)))


def tall_straight(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    s = ctx.lay.solid_sep
    cls = _pick(rng, {"bus": 1, "truck": 1})
    side = int(rng.integers(2))
    lanes = [k for k in [s - 1 + side] if k in ctx.general(cls)]
    plan = straight("tall_straight", rng, ctx, bodies, Want(cls, lanes, toward=1.0 if side == 0 else -1.0))
    return None if plan is None else [plan]


def wrong_way(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    cls = _pick(rng, {"car": 1, "motorcycle": 1})
    lanes = ctx.general(cls)
    if not lanes:
        return None
    lane = lanes[int(rng.integers(len(lanes)))]
    body = bodies(cls, lane)
    v = float(rng.uniform(6.0, 9.0))
    t = float(rng.uniform(1.0, ctx.duration - 8.0))
    path = Path(ctx.near_y - body.length, 1, Motion(t, v), _x(rng, ctx, lane, body))
    return [Plan("wrong_way", None, body, lane, path, v)]


def _busway_lanes(ctx: Ctx) -> list[int]:
    return [0] if ctx.lay.busway and 0 in ctx.usable else []


def busway_intrusion(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    cls = _pick(rng, {"car": 2, "motorcycle": 1})
    plan = straight("busway_intrusion", rng, ctx, bodies, Want(cls, _busway_lanes(ctx), (0.45, 0.7)))
    return None if plan is None else [plan]


def bus_in_busway(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    plan = straight("bus_in_busway", rng, ctx, bodies, Want("bus", _busway_lanes(ctx), (0.55, 0.85)))
    return None if plan is None else [plan]


def class_ban(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    lanes = [ctx.ban_lane] if ctx.ban_lane in ctx.usable else []
    plan = straight("class_ban", rng, ctx, bodies, Want("truck", lanes, (0.45, 0.7)))
    return None if plan is None else [plan]


def outside_window(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    lanes = [ctx.idle_lane] if ctx.idle_lane in ctx.usable else []
    plan = straight("outside_window", rng, ctx, bodies, Want("motorcycle", lanes))
    return None if plan is None else [plan]


def speeding(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    cls = _pick(rng, {"car": 5, "motorcycle": 3, "pickup": 1})
    plan = straight("speeding", rng, ctx, bodies, Want(cls, ctx.general(cls), (1.3, 1.5)))
    return None if plan is None else [plan]


def under_limit(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    cls = _pick(rng, {"car": 5, "motorcycle": 3, "pickup": 1, "bus": 1})
    plan = straight("under_limit", rng, ctx, bodies, Want(cls, ctx.general(cls), (0.95, 0.95)))
    return None if plan is None else [plan]


def _odd_even(name: str, rng: Rng, ctx: Ctx, bodies: Bodies, cls: VClass,
              wrong: bool) -> list[Plan] | None:
    lanes = [k for k in ctx.odd_even_lanes if k in ctx.general(cls)]
    plan = straight(name, rng, ctx, bodies, Want(cls, lanes, (0.45, 0.7), wrong_parity=wrong))
    return None if plan is None else [plan]


def odd_even(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    return _odd_even("odd_even", rng, ctx, bodies, "car", True)


def odd_even_complies(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    return _odd_even("odd_even_complies", rng, ctx, bodies, "car", False)


def odd_even_exempt(rng: Rng, ctx: Ctx, bodies: Bodies) -> list[Plan] | None:
    cls = _pick(rng, {"motorcycle": 2, "bus": 1})
    return _odd_even("odd_even_exempt", rng, ctx, bodies, cls, True)
