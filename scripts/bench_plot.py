"""The plot of BENCHMARKS.md from the newest `scripts/bench` run in bench-results/results.json:
fps of each clip run each way (left), the demo pipeline's stages per frame (right).

    .venv/bin/python scripts/bench_plot.py [--results FILE] [--out docs/benchmarks.png]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")  # no display on a box or in CI
import matplotlib.pyplot as plt  # after the backend is chosen

ROOT = Path(__file__).resolve().parent.parent
RUNS = (("bare_centernet", "bare CenterNet"), ("pipeline", "pipeline"), ("pipeline_no_redaction", "no redaction"),
        ("pipeline_yolo", "pipeline, YOLO"), ("ultralytics_track_yolo", "ultralytics, YOLO"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=Path, default=ROOT / "bench-results" / "results.json")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.png")
    args = parser.parse_args()
    runs = [r for r in json.loads(args.results.read_text()) if "side_by_side" in r]
    if not runs:
        raise SystemExit(f"{args.results}: no run with a side-by-side (run scripts/bench without --quick)")
    result = runs[-1]
    rows = result["side_by_side"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [3, 2]})
    width = 0.8 / len(RUNS)
    for k, (key, label) in enumerate(RUNS):
        values = [row["fps"][key] or 0.0 for row in rows]
        left.bar([i + k * width for i in range(len(rows))], values, width, label=label)
    left.set_xticks([i + 0.4 - width / 2 for i in range(len(rows))], [row["clip"] for row in rows])
    left.set_ylabel("frames a second")
    left.set_title(f"Side by side, {result['at'][:10]} ({rows[0]['frames']} frames a clip)")
    left.legend(fontsize=8)
    stages = result["stages_ms"]
    names = list(stages)
    right.barh(names, [stages[n]["p95_ms"] for n in names], color="#bbb", label="p95")
    right.barh(names, [stages[n]["p50_ms"] for n in names], color="#37a", label="p50")
    right.set_xscale("log")
    right.set_xlabel("ms a frame (log)")
    right.set_title("Demo pipeline, per stage")
    right.legend(fontsize=8)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
