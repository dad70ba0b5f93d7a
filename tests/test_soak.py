"""The soak harness, briefly (scripts/soak runs it for half an hour and more): a live MJPEG stream
read by a real box process that judges, signs and delivers, its RSS sampled."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.soak import soak


@pytest.mark.slow
def test_a_box_on_a_live_stream_judges_delivers_and_is_sampled(tmp_path: Path) -> None:
    result = soak(tmp_path, minutes=1.5, every_s=30.0, warmup_minutes=0.0)
    assert result.box_exit == 0, (tmp_path / "box.log").read_text()
    assert len(result.samples) == 3
    assert all(s.rss_mb > 50 for s in result.samples)
    frames = [s.frames for s in result.samples]
    assert frames == sorted(set(frames)) and frames[-1] > 100, "the stream is read live, frame after frame"
    assert result.violations >= 1 and result.receipts >= 1, (tmp_path / "box.log").read_text()
