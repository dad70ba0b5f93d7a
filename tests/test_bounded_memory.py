"""A box runs for months: nothing it holds in memory may grow with the frames it has seen. The demo
clip, looped as one endless stream (its violations come round again each lap), runs through the
real pipeline with signing on; every collection the pipeline reaches is measured at the same
point of each lap. The long version with RSS is scripts/soak (tests/soak.py)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from edge.app import start_up
from edge.config.load import load_site
from edge.pipeline import Pipeline
from edge.privacy.find import LOOKS_KEPT
from edge.settings import DeviceSettings
from edge.sources import Frame, SourceHealth, VideoFileSource
from tests.builders import sealer
from tests.conftest import DEMO
from tests.memory import Sizes, collection_sizes, grown

LAPS = 3
# What the evidence thread holds at the instant a lap ends: as large as its timing makes it, held to its
# bounds below. The redactor's looks live as long as their frames, which the evidence in flight pins
# (7 at the end of lap 2, 17 at the end of lap 3 of one run), at most LOOKS_KEPT of them.
LOOKS = "._evidence._redactor._looks._looks"
IN_FLIGHT = ("._evidence._queue", "._evidence._worker._waiting", LOOKS)


class LoopedClip:
    """The clip again and again, as a camera that never stops: indexes and capture times run on."""

    def __init__(self, clip: VideoFileSource, laps: int) -> None:
        self._clip, self._laps = clip, laps
        self.lap_frames = clip.frame_count or 0
        self._health = SourceHealth(state="ok")

    @property
    def health(self) -> SourceHealth:
        return self._health

    def frames(self) -> Iterator[Frame]:
        index = 0
        for _ in range(self._laps):
            for frame in self._clip.frames():
                at = frame.captured_at + timedelta(seconds=index // self.lap_frames * self.lap_frames / self._clip.fps)
                yield replace(frame, index=index, captured_at=at)
                index += 1
                self._health = replace(self._health, frames=index)


def test_the_walk_finds_what_grows_and_passes_over_what_is_bounded() -> None:
    class Stage:
        def __init__(self) -> None:
            self.history: list[int] = []
            self.per_track: dict[int, list[int]] = {}
            self.recent: deque[int] = deque(maxlen=3)

    class Holder:
        __slots__ = ("stage",)

        def __init__(self) -> None:
            self.stage = Stage()

    holder = Holder()
    before = collection_sizes(holder)
    for i in range(5):
        holder.stage.history.append(i)
        holder.stage.recent.append(i)
    holder.stage.per_track[7] = [1, 2]
    assert grown(before, collection_sizes(holder)) == {
        ".stage.history": (0, 5), ".stage.per_track": (0, 1), ".stage.per_track[*]": (0, 2)}


@pytest.mark.slow
def test_no_collection_grows_with_frames(tmp_path: Path) -> None:
    site = load_site(DEMO / "site.yaml")
    settings = DeviceSettings().with_evidence_dir(tmp_path / "evidence")
    assert site.site.camera.start_time is not None
    source = LoopedClip(VideoFileSource(DEMO / "clip.mp4", site.site.camera.start_time, site.site.camera.fps), LAPS)
    pipeline = Pipeline(site, settings, source, start_up(site, settings, source), sealer(tmp_path))
    laps: list[Sizes] = []

    def measure(frame: Frame) -> None:
        if (frame.index + 1) % source.lap_frames == 0:
            laps.append(collection_sizes(pipeline))

    stats = pipeline.run(on_frame=measure)
    assert stats.frames == LAPS * source.lap_frames and len(laps) == LAPS
    stored = sum(stats.stored.values())
    assert stored >= LAPS * 5, "the demo's violations come round each lap"
    # The first lap starts from empty; from the second on, every lap must end as the one before it.
    # Work in flight (violations waiting for their frames after, plate reads and clips on the evidence
    # thread) is as large as the thread's timing makes it at that instant: it is held to its bounds
    # instead, the queue of reads by `background_jobs_waiting`, the violations by the demo's per lap.
    growth = {p: sizes for p, sizes in grown(laps[1], laps[2]).items() if not p.startswith(IN_FLIGHT)}
    assert not growth, f"collections growing with frames (path: (lap 2, lap 3)): {growth}"
    assert all(lap.get("._evidence._worker._waiting", 0) <= settings.evidence.background_jobs_waiting for lap in laps)
    assert all(lap.get("._evidence._queue", 0) <= stored / LAPS + 2 for lap in laps)
    assert all(lap.get(LOOKS, 0) <= LOOKS_KEPT for lap in laps)
    assert len(laps[-1]) > 50, f"the walk reached into the stages: {sorted(laps[-1])}"
