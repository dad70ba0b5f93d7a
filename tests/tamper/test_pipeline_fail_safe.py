"""The view watch in the pipeline: a camera knocked sideways mid-clip stops every charge from the
first frame its view is doubted, goes fail-safe when it lasts, and says so to the status and the
metrics. (The normal clip raising no fault is proved by tests/test_demo_end_to_end.py: every
expected violation of the demo is still charged with the watch on.)"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

from edge.app import start_up
from edge.config.load import load_site
from edge.core import FrameMeasure, SignalState
from edge.pipeline import Pipeline, PipelineHooks
from edge.settings import DeviceSettings
from edge.sources import Frame, SourceHealth, VideoFileSource
from tests.conftest import DEMO
from tests.tamper.scenes import shifted

KNOCKED_AT = 60  # frame index: the camera moves 40 px sideways and stays there


class KnockedCamera:
    def __init__(self, clip: VideoFileSource) -> None:
        self._clip = clip

    @property
    def health(self) -> SourceHealth:
        return self._clip.health

    def frames(self) -> Iterator[Frame]:
        for frame in self._clip.frames():
            yield frame if frame.index < KNOCKED_AT else replace(frame, image=shifted(frame.image, 40.0))


def test_a_knocked_camera_charges_nothing_after_the_knock_and_reports_fail_safe(tmp_path: Path) -> None:
    site = load_site(DEMO / "site.yaml")
    settings = DeviceSettings().with_evidence_dir(tmp_path / "evidence")
    assert site.site.camera.start_time is not None
    source = KnockedCamera(VideoFileSource(DEMO / "clip.mp4", site.site.camera.start_time, site.site.camera.fps))
    pipeline = Pipeline(site, settings, source, start_up(site, settings, source))
    observed: list[tuple[tuple[str, ...], bool]] = []
    measures: list[FrameMeasure] = []

    def observe(_signals: Mapping[str, SignalState], view: tuple[str, ...], judging: bool) -> None:
        observed.append((view, judging))

    pipeline.attach(PipelineHooks(observed=observe, measured=measures.append))
    stats = pipeline.run()

    assert stats.frames == 300 and len(observed) == 300
    before = [judging for _, judging in observed[:KNOCKED_AT]]
    assert all(before) and not any(view for view, _ in observed[:KNOCKED_AT])
    doubted = next(i for i, (view, _) in enumerate(observed) if view)
    assert KNOCKED_AT <= doubted <= KNOCKED_AT + 10, "the first geometric check after the knock sees it (1 s)"
    assert not any(judging for _, judging in observed[doubted:])
    assert "view shifted 40 px" in observed[doubted][0][0] and "not judged while it lasts" in observed[doubted][0][0]
    fail_safe = next(i for i, (view, _) in enumerate(observed) if view and view[0].startswith("fail-safe"))
    assert fail_safe - doubted == 50, "5 s of fault at 10 fps"
    assert stats.recent, "the demo's violations before the knock are still charged"
    # Charged later is only what was seen before (an odd_even suspect settles once its plate is read).
    assert all(record.violation.frame_index < doubted for record in stats.recent)
    frames = [m for m in measures if m.stages]  # the last one is the end's flush
    assert all(not m.judging and m.view_faults == 1 for m in frames[doubted:])
    assert 35 <= (frames[-1].view_shift_px or 0) <= 45
