"""Results of a split as JSON (`evaluation/results/<split>.json`) and `EVALUATION.md` from all of them.

The JSON is the frozen dataclass tree of `Results`, written with `dataclasses.asdict` and read back
by `load_results` (typed, so the report works on the same values the scorer made). The note is
regenerated from the committed JSON files; text below `NOTES_MARKER` in an existing EVALUATION.md
is kept, so the before/after figures of rule changes written there survive a rerun.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import types
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from evaluation.runner import SceneRun
from evaluation.score import Judgement
from evaluation.summary import KindFigures, Summary

SCHEMA = "etle.eval.results/1"
SPLIT_ORDER = ("eval", "tune", "ci")
NOTES_MARKER = "<!-- notes below this line are kept when the report is regenerated -->"
BAR_PRECISION, BAR_RECALL = 0.97, 0.90  # issue 17's bar, per kind


@dataclass(frozen=True, slots=True)
class RunInfo:
    date: str
    machine: str
    cores: int
    versions: tuple[tuple[str, str], ...]
    models: tuple[tuple[str, str], ...]  # (file, sha256 first 12 hex digits)
    frames: int
    run_s: float  # wall seconds of all scenes' pipeline runs
    scene_s_mean: float
    scene_s_max: float


@dataclass(frozen=True, slots=True)
class Results:
    schema: str
    split: str
    seeds: tuple[int, ...]
    run: RunInfo
    plate_checks: tuple[tuple[str, int], ...]  # odd_even suspects judged by plate, over all scenes
    summary: Summary


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _sha_short(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def run_info(runs: Sequence[SceneRun], models: Path) -> RunInfo:
    times = [r.elapsed_s for r in runs] or [0.0]
    return RunInfo(
        date=datetime.now(UTC).date().isoformat(), machine=platform.machine(), cores=os.cpu_count() or 0,
        versions=tuple((p, _version(p)) for p in ("etle-edge", "onnxruntime", "opencv-python")),
        models=tuple((m.name, _sha_short(m)) for m in sorted(models.glob("*.onnx"))),
        frames=sum(r.frames for r in runs), run_s=round(sum(times), 1),
        scene_s_mean=round(sum(times) / len(times), 1), scene_s_max=round(max(times), 1))


def make_results(split: str, runs: Sequence[SceneRun], summary: Summary, models: Path) -> Results:
    checks: dict[str, int] = {}
    for run in runs:
        for outcome, n in run.plate_checks:
            checks[outcome] = checks.get(outcome, 0) + n
    seeds = tuple(sorted(s.seed for s in summary.per_scene))
    return Results(SCHEMA, split, seeds, run_info(runs, models), tuple(sorted(checks.items())), summary)


def dump_results(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dataclasses.asdict(results), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _load(kind: Any, value: Any) -> Any:
    """A value of type `kind` from its `asdict` JSON form (dataclasses, tuples, X | None, Literal)."""
    origin = get_origin(kind)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = get_type_hints(kind)
        # A field a results file predates keeps its default (results committed before it was added).
        return kind(**{f.name: _load(hints[f.name], value[f.name]) for f in dataclasses.fields(kind)
                       if f.name in value or f.default is dataclasses.MISSING})
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        return _load(next(a for a in get_args(kind) if a is not type(None)), value)
    if origin is tuple:
        args = get_args(kind)
        each = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
        return tuple(_load(a, v) for a, v in zip(each, value, strict=True))
    if origin is not Literal and kind not in (int, float, str, bool):
        raise TypeError(f"cannot load {kind!r}")
    return float(value) if kind is float else value


def load_results(path: Path) -> Results:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a {SCHEMA} file")
    loaded: Results = _load(Results, data)
    return loaded


def _f(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(part: int, whole: int) -> str:
    return f"{_f(100 * part / whole if whole else None, 1)} %"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _head(*names: str, numeric_from: int = 1) -> list[str]:
    rule = ["---" if i < numeric_from else "---:" for i in range(len(names))]
    return [_row(*names), _row(*rule)]


def _meets(k: KindFigures) -> str:
    """The per-kind bar; recall counts only where the split has ≥ 3 instances of the kind."""
    precise = k.precision is None or k.precision >= BAR_PRECISION
    recalled = k.scripted < 3 or (k.recall is not None and k.recall >= BAR_RECALL)
    return "yes" if precise and recalled else "**no**"


def _kind_table(s: Summary) -> list[str]:
    lines = _head("kind", "scripted", "reported", "TP", "precision", "recall", "bar")
    lines[1] = lines[1].rsplit("|", 2)[0] + "| --- |"  # the bar column is words
    lines += [_row(k.kind, k.scripted, k.reported, k.true_positives, _f(k.precision), _f(k.recall), _meets(k))
              for k in s.kinds]
    overall_p = s.true_positives / s.reported if s.reported else None
    overall_r = s.true_positives / s.scripted if s.scripted else None
    lines.append(_row("**all**", s.scripted, s.reported, s.true_positives, _f(overall_p), _f(overall_r), ""))
    return lines


def _compliant_lines(s: Summary) -> list[str]:
    near = sum(t.vehicles for t in s.near_misses)
    charged = sum(t.charged for t in s.near_misses)
    lines = [f"Near misses charged: **{charged}** of {near} near-miss vehicles; compliant background vehicles "
             f"charged: **{s.background.charged}** of {s.background.vehicles}."]
    if s.near_misses:
        lines += ["", *_head("near-miss twin", "vehicles", "charged")]
        lines += [_row(t.near_miss, t.vehicles, t.charged) for t in s.near_misses]
    return lines


def _plate_lines(s: Summary) -> list[str]:
    lines = ["Plates on reported events, by the true plate width at the event frame:", "",
             *_head("plate width (px)", "exact", "wrong", "unreadable")]
    lines += [_row(p.width, p.exact, p.wrong, p.unreadable) for p in s.plates]
    read = sum(p.exact + p.wrong + p.unreadable for p in s.plates)
    wrong = sum(p.wrong for p in s.plates)
    wide = next(p for p in s.plates if p.width == ">=80")
    wide_n = wide.exact + wide.wrong + wide.unreadable
    lines += ["", f"Wrong reads: {wrong} of {read} plates on reported events ({_pct(wrong, read)}); "
              f"exact where ≥ 80 px: {wide.exact} of {wide_n} ({_pct(wide.exact, wide_n)})."]
    return lines


def _miss_lines(s: Summary) -> list[str]:
    """Where the recall was lost, per kind (evaluation.misses); nothing for results that predate it."""
    if not s.miss_causes:
        return []
    lines = ["### Missed charges, by where they were lost", "",
             "Over the charge's window: *not detected*, the detector boxed the vehicle in under half the frames; "
             "*another class*, mostly as a class that is not the vehicle's; *not charged*, boxed as itself and "
             "still not charged by the tracker and rules.", "",
             *_head("kind", "missed", "not detected", "another class", "not charged", "no recording")]
    lines += [_row(m.kind, m.missed, m.not_detected, m.other_class, m.not_charged, m.no_recording)
              for m in s.miss_causes]
    total = [sum(getattr(m, f) for m in s.miss_causes)
             for f in ("missed", "not_detected", "other_class", "not_charged", "no_recording")]
    return [*lines, _row("**all**", *total), ""]


def _judgement_rows(items: Sequence[Judgement]) -> list[str]:
    lines = _head("seed", "kind", "frame", "vehicle", "behaviour", "near miss", "why", "evidence", numeric_from=99)
    lines += [_row(j.seed, j.kind, j.frame, j.vehicle or "–", j.behaviour or "–", j.near_miss or "–", j.reason,
                   f"`{j.evidence}`") for j in items]
    return lines


def split_section(r: Results) -> list[str]:
    s, run = r.summary, r.run
    near = sum(t.vehicles for t in s.near_misses)
    lines = [f"## Split `{r.split}`", "",
             f"{s.scenes} scenes (seeds {', '.join(map(str, r.seeds)) or '–'}), {s.vehicles} vehicles, "
             f"{s.scripted} scripted violations, {near} near-miss compliant vehicles.", "",
             *_kind_table(s), "",
             f"Double charges: **{len(s.double_charges)}**.", "", *_compliant_lines(s), "",
             f"restricted_lane events naming every restriction the act breaks: "
             f"{s.restricted_lane_naming_all} of {s.restricted_lane_right} right ones.", "",
             *_plate_lines(s), ""]
    for sp, which in ((s.speed, "right events"), (s.speed_all, "matched events (wrong ones too)")):
        error = f"{_f(sp.mean_abs_kmh, 1)} km/h ({_f(sp.mean_abs_pct, 1)} %), max {_f(sp.max_pct, 1)} %"
        lines += [f"Speed error over {sp.events} {which} carrying a measured speed (vs the true cruising "
                  f"speed): mean absolute {error}.", ""]
    if r.plate_checks:
        checks = ", ".join(f"{why} {n}" for why, n in r.plate_checks)
        lines += [f"odd_even suspects checked by plate: {checks}.", ""]
    for title, items in (("Wrong charges", s.wrong_charges), ("Double charges", s.double_charges),
                         ("restricted_lane events that miss a restriction", s.partly_named)):
        if items:
            lines += [f"### {title} ({len(items)})", "", *_judgement_rows(items), ""]
    lines += _miss_lines(s)
    lines += ["### Per scene", "", *_head("seed", "vehicles", "scripted", "reported", "right", "wrong", "double")]
    lines += [_row(p.seed, p.vehicles, p.scripted, p.reported, p.right, p.wrong, p.double) for p in s.per_scene]
    versions = ", ".join(f"{p} {v}" for p, v in run.versions)
    models = ", ".join(f"{m} `{h}`" for m, h in run.models)
    lines += ["", f"Run {run.date} on {run.machine}, {run.cores} cores: {versions}; models {models}. "
              f"{run.frames} frames in {run.run_s:.0f} s of pipeline time "
              f"({run.scene_s_mean:.0f} s a scene on average, {run.scene_s_max:.0f} s at most).", ""]
    return lines


def render_note(results: Sequence[Results], kept_notes: str = "") -> str:
    ordered = sorted(results, key=lambda r: (SPLIT_ORDER.index(r.split) if r.split in SPLIT_ORDER else 99, r.split))
    lines = ["# Evaluation on rendered scenes", "",
             "Generated by `scripts/eval_scenes` from `evaluation/results/*.json` (scoring rules: "
             "`evaluation/README.md`). The `eval` split is never used for tuning. "
             f"Bar per kind (issue 17): precision ≥ {BAR_PRECISION}, recall ≥ {BAR_RECALL} where a split "
             "has ≥ 3 instances of the kind, no double charge.", ""]
    for result in ordered:
        lines += split_section(result)
    lines += [NOTES_MARKER, kept_notes.strip("\n")]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_note(results_dir: Path, note: Path) -> None:
    """EVALUATION.md from every results file, keeping the notes written below the marker."""
    results = [load_results(p) for p in sorted(results_dir.glob("*.json"))]
    old = note.read_text(encoding="utf-8") if note.exists() else ""
    kept = old.split(NOTES_MARKER, 1)[1] if NOTES_MARKER in old else ""
    note.write_text(render_note(results, kept), encoding="utf-8")
