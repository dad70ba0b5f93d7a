"""`python -m evaluation render|run|score|report|all [--split ...] [--seeds ...] [--out build/eval]`.

Scenes live in `<out>/<split>/<seed>/` (clip.mp4, site.yaml, truth.json; the run's evidence in run/).
`score` writes `<out>/<split>/results.json`; `report` copies it to `evaluation/results/<split>.json`
and regenerates `EVALUATION.md` from every committed results file. `all` renders what is missing,
then runs, scores and reports. Without --split, every command does `eval`, then `tune`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import supervision as sv

from evaluation.detections import PREFIX, load_by_frame
from evaluation.misses import Miss, find_misses
from evaluation.report import dump_results, load_results, make_results, write_note
from evaluation.runner import SceneRun, event_files, read_run, run_scene
from evaluation.score import read_event, read_truth, score_scene
from evaluation.summary import summarise

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "evaluation" / "results"
NOTE = ROOT / "EVALUATION.md"
SPLITS = ("tune", "eval", "ci")
COMMANDS = ("render", "run", "score", "report", "all")


def _shown(path: Path) -> str:
    """A path as the report names it: relative to the working folder when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def scenes(out: Path, split: str, seeds: Sequence[int] | None) -> list[Path]:
    found = sorted((p.parent for p in (out / split).glob("*/truth.json")), key=lambda p: (len(p.name), p.name))
    return [p for p in found if seeds is None or p.name in {str(s) for s in seeds}]


def render(out: Path, split: str, seeds: Sequence[int] | None, missing_only: bool) -> list[Path]:
    # Imported here: the generator's imports are heavy and only render needs them.
    from evaluation.render import render_split  # noqa: PLC0415
    from evaluation.splits import seeds_of  # noqa: PLC0415

    wanted = list(seeds) if seeds is not None else seeds_of(split)
    todo = [s for s in wanted if not (missing_only and (out / split / str(s) / "truth.json").exists())]
    if todo:
        render_split(split, out, todo)
    return scenes(out, split, wanted)


def _report_run(split: str, n: int, total: int, result: SceneRun) -> None:
    how = "detections replayed" if result.replayed else "detector run"
    print(f"[{split} {n}/{total}] seed {result.seed}: {result.frames} frames, {result.violations} violation(s), "
          f"pipeline {result.elapsed_s:.1f} s ({result.fps:.1f} fps, {how})", flush=True)
    for fault in result.site_faults:
        print(f"  FAIL-SAFE site file: {fault}", flush=True)


def run(out: Path, split: str, seeds: Sequence[int] | None, jobs: int, fresh: bool = False,
        settings: Path | None = None) -> None:
    """Each scene in its own process when jobs > 1 (a scene is one pipeline: one detector session).
    `fresh`: run the detector even where an earlier run's detections could be replayed;
    `settings`: a device settings file (default: the built-in defaults)."""
    todo = scenes(out, split, seeds)
    one = partial(run_scene, settings=settings, replay=not fresh)
    if jobs <= 1:
        for n, scene in enumerate(todo, 1):
            _report_run(split, n, len(todo), one(scene))
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for n, result in enumerate(pool.map(one, todo), 1):
            _report_run(split, n, len(todo), result)


def _recorded(scene: Path, run: SceneRun) -> dict[int, sv.Detections] | None:
    """The detections the scene's run judged on, by frame; None when it kept none."""
    name = run.recording
    if name is None:  # a run from before the summary named its recording: the scene's only one
        found = sorted(scene.glob(f"{PREFIX}*.npz"))
        name = found[0].name if len(found) == 1 else None
    return load_by_frame(scene / name, run.detect_every) if name and (scene / name).exists() else None


def score(out: Path, split: str, seeds: Sequence[int] | None) -> Path | None:
    scored, runs, misses = [], [], list[Miss]()
    for scene in scenes(out, split, seeds):
        summary = read_run(scene)
        if summary is None:
            print(f"{_shown(scene)}: not run yet, left out", file=sys.stderr)
            continue
        events = [read_event(p, _shown(p.parent)) for p in event_files(scene)]
        truth = read_truth(scene / "truth.json")
        scored.append(score_scene(truth, events))
        misses.extend(find_misses(truth, scored[-1], _recorded(scene, summary)))
        runs.append(summary)
    if not scored:
        print(f"{split}: no scene has been run under {_shown(out / split)}", file=sys.stderr)
        return None
    results = make_results(split, runs, summarise(scored, misses), ROOT / "models")
    path = out / split / "results.json"
    dump_results(results, path)
    s = results.summary
    print(f"{split}: {s.scenes} scenes, {s.scripted} scripted, {s.reported} reported, {s.true_positives} right, "
          f"{len(s.wrong_charges)} wrong, {len(s.double_charges)} double → {_shown(path)}")
    return path


def report(out: Path, split: str) -> None:
    source = out / split / "results.json"
    if not source.exists():
        print(f"{split}: no results under {_shown(source.parent)} (run `score` first)", file=sys.stderr)
        return
    load_results(source)  # refuse to commit a file the report cannot read
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, RESULTS_DIR / f"{split}.json")
    write_note(RESULTS_DIR, NOTE)
    print(f"{split}: {_shown(RESULTS_DIR / f'{split}.json')} and {_shown(NOTE)} written")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evaluation",
                                     description="Render, run, score and report the evaluation scenes.")
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("--split", choices=SPLITS, action="append",
                        help="split to work on; repeatable (default: eval, then tune)")
    parser.add_argument("--seeds", type=int, nargs="+", help="only these seeds of the split")
    parser.add_argument("--jobs", type=int, default=1, help="scenes run at once, one process each (default: 1)")
    parser.add_argument("--fresh", action="store_true",
                        help="run the detector on every scene, not replaying recorded detections")
    parser.add_argument("--settings", type=Path, help="device settings file for `run` (default: built-in defaults)")
    parser.add_argument("--out", type=Path, default=Path("build/eval"), help="scene folder (default: build/eval)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out: Path = args.out
    for split in args.split or ["eval", "tune"]:
        if args.command in ("render", "all"):
            rendered = render(out, split, args.seeds, missing_only=args.command == "all")
            print(f"{split}: {len(rendered)} scene(s) under {_shown(out / split)}", flush=True)
        if args.command in ("run", "all"):
            run(out, split, args.seeds, args.jobs, args.fresh, args.settings)
        if args.command in ("score", "all"):
            score(out, split, args.seeds)
        if args.command in ("report", "all"):
            report(out, split)
    return 0


if __name__ == "__main__":
    sys.exit(main())
