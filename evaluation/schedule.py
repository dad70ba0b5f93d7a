"""Traffic for a scene: behaviours drawn round-robin so every kind appears about equally,
each placed per lane so that no two vehicles ever overlap (re-drawn until they do not)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evaluation.behaviours import TWINS, VIOLATIONS, Plan
from evaluation.charges import NEAR_PX, Charge, Track, charges
from evaluation.scene import Setting
from evaluation.traffic import BUILDERS
from evaluation.vehicles import Body, TextureBank, VClass, boxes_many, make_body

F64 = npt.NDArray[np.float64]
TARGET = 13  # violating vehicles and near-miss twins per scene, each
CI_TARGET = 11
TRIES = 30
# easy to place (or, wrong_way, holding a lane ~10 s): one per scene leaves room for the rarer acts
ONE_PER_SCENE = ("wrong_way", "red_light_run", "amber_cross", "solid_cross")
HARD_FIRST = ("wrong_way", "illegal_stop", "queue_in_box", "odd_even", "odd_even_exempt", "odd_even_complies",
              "creep_stop_on_red", "stop_short", "tall_straight", "occluded_pass", "reentry_violator")


@dataclass(frozen=True)
class Placed:
    """A scheduled vehicle: its plan, sampled path, how the camera sees it and its charges."""

    id: str
    plan: Plan
    track: Track
    headings: F64  # (frames, 2) unit vectors the front points along
    charges: tuple[Charge, ...]


def headings(xs: F64, ys: F64, sign: int) -> F64:
    dx, dy = np.gradient(xs), np.gradient(ys)
    n = np.hypot(dx, dy)
    out = np.column_stack([np.zeros_like(xs), np.full_like(ys, float(sign))])
    moving = n > 1e-4
    out[moving] = np.column_stack([dx[moving] / n[moving], dy[moving] / n[moving]])
    return out


def sight(st: Setting, body: Body, xs: F64, ys: F64, head: F64) -> tuple[F64, F64]:
    """Projected box width and plate width per frame (0 where not in view), without drawing."""
    box, plate = boxes_many(st.cam, body, xs, ys, head)
    far = ys > st.lay.stop_y + 250.0  # lost in the haze
    width = np.where(np.isnan(box[:, 0]) | far, 0.0, box[:, 2] - box[:, 0])
    return width, np.where(far, 0.0, plate)


def overlaps(a: tuple[Body, F64, F64], b: tuple[Body, F64, F64], y_range: tuple[float, float]) -> bool:
    """Do two footprints (with a safety margin) ever overlap where they are seen large?"""
    (ba, xa, ya), (bb, xb, yb) = a, b
    lo, hi = y_range
    near = ((ya > lo) & (ya < hi)) | ((yb > lo) & (yb < hi))
    lateral = np.abs(xa - xb) < (ba.width + bb.width) / 2 + 0.3
    along = np.abs(ya - yb) < (ba.length + bb.length) / 2 + 1.2
    return bool((near & lateral & along).any())


class Scheduler:
    """Accepts plans one by one, refusing any that collides with those already placed."""

    def __init__(self, st: Setting, bank: TextureBank, rng: np.random.Generator) -> None:
        self.st, self.bank, self.rng = st, bank, rng
        self.times = np.arange(st.frames) / st.fps
        self.placed: list[Placed] = []
        self.refusals: dict[str, int] = {}  # why tries failed, for tuning the generator

    def body(self, cls: VClass, lane: int) -> Body:
        view = "front"
        names = self.bank.choices(cls, view)
        tex = self.bank.textures[names[int(self.rng.integers(len(names)))]]
        return make_body(cls, tex.sprite, tex.colour, self.rng, self.st.lay.lane_widths[lane] - 0.2)

    def _rear_body(self, plan: Plan) -> Plan:
        """Vehicles driving away show their rear: swap in a rear photo where one exists."""
        if plan.path.sign < 0:
            return plan
        names = self.bank.choices(plan.body.cls, "rear")
        tex = self.bank.textures[names[0]]
        b = make_body(plan.body.cls, tex.sprite, tex.colour, self.rng, plan.body.width)
        return Plan(plan.behaviour, plan.near_miss, b, plan.lane, plan.path, plan.cruise_ms, plan.wrong_parity)

    def _track(self, plan: Plan) -> tuple[Track, F64]:
        xs, ys = plan.path.sample(self.times)
        head = headings(xs, ys, plan.path.sign)
        box_w, plate = sight(self.st, plan.body, xs, ys, head)
        return Track(xs, ys, box_w, plate), head

    def _fits(self, plans: list[Plan], tracks: list[Track]) -> bool:
        y_range = (self.st.ctx.near_y - 15.0, self.st.lay.stop_y + 45.0)
        for plan, tr in zip(plans, tracks, strict=True):
            if not (tr.box_w > 0).any():
                return False
            for other in self.placed:
                if overlaps((plan.body, tr.xs, tr.ys), (other.plan.body, other.track.xs, other.track.ys), y_range):
                    return False
        return True

    def try_add(self, name: str) -> bool | None:
        """Place one ``name`` act: True when placed, False when every try collided, None if impossible here."""
        possible = False
        for _ in range(TRIES):
            plans = BUILDERS[name](self.rng, self.st.ctx, self.body)
            if plans is None:
                continue
            possible = True
            plans = [self._rear_body(p) for p in plans]
            sighted = [self._track(p) for p in plans]
            tracks = [t for t, _ in sighted]
            if not self._fits(plans, tracks):
                self.refusals[f"{name}: collides"] = self.refusals.get(f"{name}: collides", 0) + 1
                continue
            try:
                got = [tuple(charges(p, t, self.st.ctx)) for p, t in zip(plans, tracks, strict=True)]
            except ValueError as exc:
                self.refusals[f"{name}: {exc}"] = self.refusals.get(f"{name}: {exc}", 0) + 1
                continue
            pairs = zip(got, tracks, strict=True)
            if any(c.frame >= len(t.box_w) or t.box_w[c.frame] < NEAR_PX for cs, t in pairs for c in cs):
                self.refusals[f"{name}: unseen act"] = self.refusals.get(f"{name}: unseen act", 0) + 1
                continue
            for p, (t, h), cs in zip(plans, sighted, got, strict=True):
                self.placed.append(Placed(f"v{len(self.placed) + 1}", p, t, h, cs))
            return True
        return False if possible else None


def schedule(st: Setting, bank: TextureBank) -> list[Placed]:
    """The scene's traffic: about TARGET violators and TARGET twins, then background."""
    rng = np.random.default_rng([st.seed, 7])
    sch = Scheduler(st, bank, rng)
    target = CI_TARGET if st.split == "ci" else TARGET
    queues = []
    for group in (VIOLATIONS, TWINS):
        # acts that hold a lane long, or need rare room, go first; the rest in a seeded order
        first = [k for k in HARD_FIRST if k in group]
        kinds = first + [str(k) for k in rng.permutation(group) if k not in first]
        if st.ctx.odd_even_lanes:  # odd-even only happens in some scenes: give it more weight there
            kinds += [k for k in kinds if k.startswith("odd_even")]
        queues.append(kinds)
    done, misses, turn = [0, 0], [dict.fromkeys(q, 0) for q in queues], [0, 0]
    placed_of = dict.fromkeys(VIOLATIONS + TWINS, 0)
    cap = 2  # no kind crowds out the others: each appears about equally over a split
    while True:
        open_groups = [g for g in (0, 1) if done[g] < target and any(m < 3 for m in misses[g].values())]
        if not open_groups:
            break
        g = min(open_groups, key=lambda k: done[k])  # alternate, so twins get their share of the road
        name = queues[g][turn[g] % len(queues[g])]
        turn[g] += 1
        limit = 1 if name in ONE_PER_SCENE else cap
        if misses[g][name] >= 3 or placed_of[name] >= limit:
            misses[g][name] = 3 if placed_of[name] >= limit else misses[g][name]
            continue
        got = sch.try_add(name)
        if got:
            done[g] += 1
            placed_of[name] += 1
        else:
            misses[g][name] += 1 if got is False else 3
    for _ in range(int(rng.integers(8, 16))):
        sch.try_add(str(rng.choice(["pass_green", "pass_green", "wait_red"])))
    LAST_REFUSALS.clear()
    LAST_REFUSALS.update(sch.refusals)
    return sch.placed


LAST_REFUSALS: dict[str, int] = {}  # why the last schedule's tries failed, for tuning
