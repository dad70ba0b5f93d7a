"""The figures of a split, folded from its scored scenes: per kind precision and recall, the
near-miss twins, plates by width, speed error. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evaluation.misses import CAUSES, Miss
from evaluation.score import PLATE_BINS, Judgement, SceneScore, VehicleOutcome


@dataclass(frozen=True, slots=True)
class KindFigures:
    kind: str
    scripted: int
    reported: int
    true_positives: int
    precision: float | None  # None when nothing was reported
    recall: float | None  # None when nothing was scripted


@dataclass(frozen=True, slots=True)
class TwinFigures:
    """Compliant vehicles of one kind (a near-miss twin, or "background") and how many were charged."""

    near_miss: str
    vehicles: int
    charged: int


@dataclass(frozen=True, slots=True)
class PlateFigures:
    width: str  # one of PLATE_BINS: truth plate width in pixels at the event frame
    exact: int
    wrong: int
    unreadable: int


@dataclass(frozen=True, slots=True)
class MissFigures:
    """Scripted charges of one kind not reported, by where they were lost (evaluation.misses)."""

    kind: str
    missed: int
    not_detected: int
    other_class: int
    not_charged: int
    no_recording: int


@dataclass(frozen=True, slots=True)
class SpeedFigures:
    events: int
    mean_abs_kmh: float | None
    mean_abs_pct: float | None
    max_pct: float | None


@dataclass(frozen=True, slots=True)
class SceneFigures:
    seed: int
    vehicles: int
    scripted: int
    reported: int
    right: int
    wrong: int
    double: int


@dataclass(frozen=True, slots=True)
class Summary:
    scenes: int
    vehicles: int
    scripted: int
    reported: int
    true_positives: int
    kinds: tuple[KindFigures, ...]
    near_misses: tuple[TwinFigures, ...]
    background: TwinFigures
    plates: tuple[PlateFigures, ...]
    speed: SpeedFigures  # right events: the measurement of a charged act
    speed_all: SpeedFigures  # every matched event that carries a speed, wrong ones too
    restricted_lane_right: int
    restricted_lane_naming_all: int
    wrong_charges: tuple[Judgement, ...]
    double_charges: tuple[Judgement, ...]
    partly_named: tuple[Judgement, ...]  # right restricted_lane events that miss a restriction id
    per_scene: tuple[SceneFigures, ...]
    misses: tuple[Miss, ...] = ()  # every scripted charge not reported, and where it was lost
    miss_causes: tuple[MissFigures, ...] = ()  # those, counted per kind and cause


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _kinds(scenes: Sequence[SceneScore], judgements: Sequence[Judgement]) -> tuple[KindFigures, ...]:
    scripted: dict[str, int] = {}
    for scene in scenes:
        for kind, n in scene.scripted:
            scripted[kind] = scripted.get(kind, 0) + n
    figures = []
    for kind in sorted(set(scripted) | {j.kind for j in judgements}):
        reported = sum(j.kind == kind for j in judgements)
        tp = sum(j.kind == kind and j.verdict == "right" for j in judgements)
        n = scripted.get(kind, 0)
        figures.append(KindFigures(kind, n, reported, tp, _ratio(tp, reported), _ratio(tp, n)))
    return tuple(figures)


def _twins(vehicles: Sequence[VehicleOutcome]) -> tuple[tuple[TwinFigures, ...], TwinFigures]:
    twins = sorted({v.near_miss for v in vehicles if v.near_miss})
    near = tuple(TwinFigures(t, sum(v.near_miss == t for v in vehicles),
                             sum(v.near_miss == t and v.charged for v in vehicles)) for t in twins)
    background = [v for v in vehicles if v.compliant and not v.near_miss]
    return near, TwinFigures("background", len(background), sum(v.charged for v in background))


def _plates(judgements: Sequence[Judgement]) -> tuple[PlateFigures, ...]:
    def count(width: str, outcome: str) -> int:
        return sum(j.plate_bin == width and j.plate == outcome for j in judgements)

    return tuple(PlateFigures(w, count(w, "exact"), count(w, "wrong"), count(w, "unreadable")) for w in PLATE_BINS)


def _speed(judgements: Sequence[Judgement]) -> SpeedFigures:
    pairs = [j.speed for j in judgements if j.speed is not None]
    if not pairs:
        return SpeedFigures(0, None, None, None)
    errors = [abs(measured - true) for measured, true in pairs]
    pcts = [100.0 * e / true for e, (_, true) in zip(errors, pairs, strict=True)]
    return SpeedFigures(len(pairs), sum(errors) / len(errors), sum(pcts) / len(pcts), max(pcts))


def _scene_figures(scene: SceneScore) -> SceneFigures:
    def n(verdict: str) -> int:
        return sum(j.verdict == verdict for j in scene.judgements)

    return SceneFigures(scene.seed, len(scene.vehicles), sum(k for _, k in scene.scripted), len(scene.judgements),
                        n("right"), n("wrong"), n("double"))


def _miss_causes(misses: Sequence[Miss]) -> tuple[MissFigures, ...]:
    def count(kind: str, cause: str) -> int:
        return sum(m.kind == kind and m.cause == cause for m in misses)

    return tuple(MissFigures(kind, sum(m.kind == kind for m in misses), *(count(kind, c) for c in CAUSES))
                 for kind in sorted({m.kind for m in misses}))


def summarise(scenes: Sequence[SceneScore], misses: Sequence[Miss] = ()) -> Summary:
    judgements = [j for s in scenes for j in s.judgements]
    vehicles = [v for s in scenes for v in s.vehicles]
    near, background = _twins(vehicles)
    named = [j for j in judgements if j.names_all_restrictions is not None]
    return Summary(
        scenes=len(scenes), vehicles=len(vehicles),
        scripted=sum(n for s in scenes for _, n in s.scripted), reported=len(judgements),
        true_positives=sum(j.verdict == "right" for j in judgements),
        kinds=_kinds(scenes, judgements), near_misses=near, background=background,
        plates=_plates(judgements), speed=_speed([j for j in judgements if j.verdict == "right"]),
        speed_all=_speed(judgements),
        restricted_lane_right=len(named), restricted_lane_naming_all=sum(bool(j.names_all_restrictions) for j in named),
        wrong_charges=tuple(j for j in judgements if j.verdict == "wrong"),
        double_charges=tuple(j for j in judgements if j.verdict == "double"),
        partly_named=tuple(j for j in named if not j.names_all_restrictions),
        per_scene=tuple(_scene_figures(s) for s in scenes),
        misses=tuple(misses), miss_causes=_miss_causes(misses))
