"""Issue 13's last target: cold start to the first frame (<= 5 s) and peak RSS (<= 1 GB a camera), each
measured on `etle-edge run --no-publish` in a process of its own, as a box starts it.

In-process figures cannot give either: this process has imported, loaded and allocated everything
already. The cold start is the whole run of a one-frame process (interpreter, imports, site file,
every model session, one frame, the evidence flush); peak RSS is the kernel's high-water mark of a
process that ran `frames` frames of the clip, evidence work (plates, redaction, clips) included.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def fresh_run(site: Path, frames: int) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one `etle-edge run` of `frames` frames of `site`'s clip."""
    with tempfile.TemporaryDirectory() as evidence, tempfile.TemporaryFile() as log:
        command = [sys.executable, "-m", "edge.cli", "run", "--site", str(site), "--no-publish", "--quiet",
                   "--max-frames", str(frames), "--evidence-dir", evidence]
        started = time.perf_counter()
        # A file, not a pipe, for its log: a pipe nobody reads until the end can fill and stall it.
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log) as proc:
            # wait4, not wait: the rusage of this child alone (RUSAGE_CHILDREN is the largest of any)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        if proc.returncode != 0:
            tail = log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"etle-edge run exited {proc.returncode}: {tail}")
    return wall, usage.ru_maxrss / 1024  # Linux reports KiB


def process_results(site: Path, frames: int, baseline_ms: float) -> dict[str, object]:
    """Cold start and peak RSS of a one-camera process, absolute and against one raw inference."""
    cold_s, _ = fresh_run(site, 1)
    run_s, peak_mib = fresh_run(site, frames)
    return {
        "cold_start_s": round(cold_s, 2),
        "cold_start_vs_inference": round(1000 * cold_s / baseline_ms, 1),
        "peak_rss_mib": round(peak_mib, 1),
        "peak_rss_frames": frames,
        "peak_rss_run_s": round(run_s, 1),
    }
