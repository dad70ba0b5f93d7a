"""The benchmark's cold start and peak RSS come from a real `etle-edge run` in a process of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.paths import PROJECT_ROOT
from scripts.bench_process import fresh_run

DEMO_SITE = PROJECT_ROOT / "calibration" / "demo" / "site.yaml"


def test_one_frame_run_reports_its_wall_time_and_its_own_peak_memory() -> None:
    wall, peak_mib = fresh_run(DEMO_SITE, 1)
    # Measured on the child, not on this test process (which has loaded far less, or far more).
    assert wall > 0
    assert 100 < peak_mib < 4096  # the detector session alone is over 100 MiB


def test_a_failing_run_is_an_error_with_its_log(tmp_path: Path) -> None:
    broken = tmp_path / "site.yaml"
    broken.write_text("site: {id: x}\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="etle-edge run exited"):
        fresh_run(broken, 1)
