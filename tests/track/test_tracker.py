"""The tracker adapter: history kept and dropped in seconds whatever the detector cadence, and
boxes cut by the image border kept for evidence but not measured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import supervision as sv

from edge.core import Track
from edge.footprint import Footprint
from edge.track.config import TrackerConfig
from edge.track.tracker import VehicleTracker
from tests.test_footprint import H, camera, cuboid_box, site

T0 = datetime(2026, 1, 15, 0, 30, tzinfo=UTC)
CAMERA_FPS = 10.0


def car(x: float, y: float) -> sv.Detections:
    return sv.Detections(xyxy=np.array([[x, y, x + 80, y + 60]], dtype=float), confidence=np.array([0.9]),
                         class_id=np.array([2]), data={"class_name": np.array(["car"])})


def empty() -> sv.Detections:
    return sv.Detections(xyxy=np.empty((0, 4)), confidence=np.empty(0), class_id=np.empty(0, dtype=int),
                         data={"class_name": np.array([], dtype=str)})


def run(tracker: VehicleTracker, every: int, frames: range, visible: bool) -> list[tuple[int, tuple[int, ...]]]:
    """Feed camera frames `frames`, detecting every `every`-th; (frame, ended ids) per update."""
    out = []
    for frame in frames:
        if frame % every:
            continue
        dets = car(100 + frame * 2, 200) if visible else empty()
        update = tracker.update(dets, frame, T0 + timedelta(seconds=frame / CAMERA_FPS))
        out.append((frame, update.ended))
    return out


@pytest.mark.parametrize("every", [1, 2, 3])
def test_a_lost_track_ends_after_lost_track_s_whatever_the_cadence(every: int) -> None:
    config = TrackerConfig(lost_track_s=1.5)
    tracker = VehicleTracker(config, CAMERA_FPS / every)
    run(tracker, every, range(0, 30), visible=True)
    gone = [(f, ended) for f, ended in run(tracker, every, range(30, 80), visible=False) if ended]
    assert len(gone) == 1
    frame, _ = gone[0]
    last = max(f for f in range(30) if f % every == 0)
    lost_for_s = (frame - last) / CAMERA_FPS
    step_s = every / CAMERA_FPS  # one detector step: the tracker decides only when it is called
    assert config.lost_track_s < lost_for_s <= config.lost_track_s + 2 * step_s + 1e-9, (every, frame)


@pytest.mark.parametrize("every", [1, 2, 3])
def test_history_spans_history_s_whatever_the_cadence(every: int) -> None:
    tracker = VehicleTracker(TrackerConfig(history_s=2.0), CAMERA_FPS / every)
    track = None
    for frame in range(0, 60, every):
        update = tracker.update(car(100 + frame, 200), frame, T0 + timedelta(seconds=frame / CAMERA_FPS))
        track = update.active[0] if update.active else track
    assert track is not None
    span = (track.points[-1].captured_at - track.points[0].captured_at).total_seconds()
    assert 1.7 <= span <= 2.0


def test_without_a_ground_plane_the_anchor_is_the_bottom_centre() -> None:
    tracker = VehicleTracker(TrackerConfig(), CAMERA_FPS)
    track = None
    for frame in range(4):
        update = tracker.update(car(100, 200), frame, T0 + timedelta(seconds=frame / CAMERA_FPS))
        track = update.active[0] if update.active else track
    assert track is not None
    assert track.last.anchor == (140.0, 260.0)
    assert len(track.seen) == len(track.points)


def test_empty_updates() -> None:
    tracker = VehicleTracker(TrackerConfig(), CAMERA_FPS)
    update = tracker.update(empty(), 0, T0)
    assert update.active == () and update.ended == ()
    assert tracker.flush() == ()


def test_points_of_another_class_are_seen_but_not_measured() -> None:
    """A car boxed as a truck now and then: the truck boxes stay in the path the evidence crops, the
    rules measure only the car's (a truck's size explains a box differently)."""
    tracker = VehicleTracker(TrackerConfig(), CAMERA_FPS)
    track = None
    for frame in range(8):
        dets = car(100, 200 + frame)
        dets.data["class_name"] = np.array(["truck" if frame % 3 == 0 else "car"])
        update = tracker.update(dets, frame, T0 + timedelta(seconds=frame / CAMERA_FPS))
        track = update.active[0] if update.active else track
    assert track is not None and track.class_name == "car"
    assert {p.class_name for p in track.points} == {"car"}
    assert {p.class_name for p in track.seen} == {"car", "truck"}
    assert len(track.seen) > len(track.points)


def ride(names: list[str], speed_kmh: float, seconds: float, size: tuple[float, float, float] = (0.75, 1.9, 1.6),
         config: TrackerConfig | None = None, jitter_m: float = 0.0) -> list[Track]:
    """A vehicle of `size` riding down a lane towards a pole camera at `speed_kmh`, boxed under
    `names` in turn, its boxes placed up to `jitter_m` off along the lane; its track after each
    detector step."""
    cam = camera(10.0, 7.0, 18.0, 0.0, 1800.0)
    tracker = VehicleTracker(config or TrackerConfig(), CAMERA_FPS, site(cam, [0.0, 3.5, 7.0]))
    noise = np.random.default_rng(7).uniform(-jitter_m, jitter_m, round(seconds * CAMERA_FPS))
    tracks = []
    for frame in range(round(seconds * CAMERA_FPS)):
        y = 60.0 - speed_kmh / 3.6 * frame / CAMERA_FPS + noise[frame]
        box = cuboid_box(cam, (5.25, y), size)
        dets = sv.Detections(xyxy=box[None], confidence=np.array([0.8]), class_id=np.array([0]),
                             data={"class_name": np.array([names[frame % len(names)]])})
        update = tracker.update(dets, frame, T0 + timedelta(seconds=frame / CAMERA_FPS))
        tracks += list(update.active)
    return tracks


def rider_run(speed_kmh: float, seconds: float, config: TrackerConfig | None = None,
              jitter_m: float = 0.0) -> list[str]:
    """A motorcycle with its rider, boxed as a "person": the track's judged class after each step."""
    return [t.class_name for t in ride(["person"], speed_kmh, seconds, config=config, jitter_m=jitter_m)]


@pytest.mark.parametrize(("speed_kmh", "after_s"), [
    (16.0, (0.9, 1.4)),  # just over the rider speed: after a second of riding
    (30.0, (0.45, 0.8)),  # twice as fast: as far in half the time
    (80.0, (0.45, 0.8)),  # never sooner than half a second
])
def test_a_person_riding_down_the_lane_is_a_motorcycle(speed_kmh: float, after_s: tuple[float, float]) -> None:
    classes = rider_run(speed_kmh, 2.5)
    assert classes[0] == "person" and classes[-1] == "motorcycle"
    first = classes.index("motorcycle")
    assert set(classes[first:]) == {"motorcycle"}  # for good, once seen riding
    assert after_s[0] <= (first + 1) / CAMERA_FPS <= after_s[1]


def test_a_fast_rider_whose_boxes_jitter_is_still_a_rider() -> None:
    """At 90 km/h a rider moves 2.5 m between detector steps; boxes that jitter by ±1 m make some
    steps twice that, which is noise, not a jump to another track."""
    classes = rider_run(90.0, 1.6, jitter_m=1.0)
    assert classes[-1] == "motorcycle"


def test_a_person_whose_track_jumps_to_another_is_not_a_rider() -> None:
    """A walker's track that jumps 12 m once (an id switch to someone else) is not riding."""
    cam = camera(10.0, 7.0, 18.0, 0.0, 1800.0)
    tracker = VehicleTracker(TrackerConfig(), CAMERA_FPS, site(cam, [0.0, 3.5, 7.0]))
    classes = []
    for frame in range(30):
        y = 40.0 - 1.4 * frame / CAMERA_FPS - (12.0 if frame >= 15 else 0.0)
        box = cuboid_box(cam, (5.25, y), (0.6, 0.6, 1.7))
        dets = sv.Detections(xyxy=box[None], confidence=np.array([0.8]), class_id=np.array([0]),
                             data={"class_name": np.array(["person"])})
        update = tracker.update(dets, frame, T0 + timedelta(seconds=frame / CAMERA_FPS))
        classes += [t.class_name for t in update.active]
    assert set(classes) == {"person"}


def test_a_walking_person_stays_a_person_and_riders_can_be_switched_off() -> None:
    assert set(rider_run(5.0, 4.0)) == {"person"}
    assert set(rider_run(30.0, 2.5, TrackerConfig(rider_speed_kmh=0))) == {"person"}


def drive_to_the_bottom(path: list[float], config: TrackerConfig | None = None) -> tuple[Track, Footprint]:
    """A car in lane 2 towards a pole camera, at `path[i]` metres from its foot in frame i, so near at
    the end that the frame's bottom cuts its box (from y ≈ 16.7 m on); its last track and the site's footprint."""
    cam = camera(10.0, 7.0, 18.0, 0.0, 1800.0)
    footprint = site(cam, [0.0, 3.5, 7.0])
    tracker = VehicleTracker(config or TrackerConfig(), CAMERA_FPS, footprint)
    track = None
    for frame, y in enumerate(path):
        box = cuboid_box(cam, (5.25, y), (1.8, 4.5, 1.5))
        box[3] = min(box[3], H - 1)
        dets = sv.Detections(xyxy=box[None], confidence=np.array([0.8]), class_id=np.array([2]),
                             data={"class_name": np.array(["car"])})
        update = tracker.update(dets, frame, T0 + timedelta(seconds=frame / CAMERA_FPS))
        track = update.active[0] if update.active else track
    assert track is not None
    return track, footprint


def stop_at_the_bottom(creep_mps: float, config: TrackerConfig | None = None) -> tuple[Track, float]:
    """A car drives towards a pole camera at 10 m/s and stops (then creeps at `creep_mps`) so near
    that the frame's bottom cuts its box; the last track and the y (m) it was last measured at."""
    path = [max(16.5, 40.0 - (frame + 1)) for frame in range(40)]
    for _ in range(40):
        path.append(path[-1] - creep_mps / CAMERA_FPS)
    return drive_to_the_bottom(path, config)[0], path[-1]


def test_a_car_standing_where_the_border_cuts_it_stands_at_its_last_footprint() -> None:
    """Its bottom edge is the border's, so no footprint is measured; its still box holds it where
    it was last measured, so a rule timing how long it stands sees it stand."""
    track, _ = stop_at_the_bottom(0.0)
    assert track.last.frame_index == 79  # held up to now
    assert {p.anchor for p in track.points if p.frame_index >= 30} == {track.last.anchor}
    held = [p for p in track.points if p.frame_index > 30]
    assert (held[-1].captured_at - held[0].captured_at).total_seconds() > 4.0


def test_a_car_creeping_where_the_border_cuts_it_is_not_held_and_holding_can_be_off() -> None:
    creeping, _ = stop_at_the_bottom(0.6)
    assert creeping.last.frame_index < 50  # its points end soon after it moved on
    off, _ = stop_at_the_bottom(0.0, TrackerConfig(hold_within_s=0))
    assert off.last.frame_index < 30


def test_a_car_that_crept_on_unmeasured_stands_where_it_stopped_again() -> None:
    """A queue: the car stands where its footprint is measured, creeps 1.5 m on into the rows the
    border cuts and stops again. Held where it was last measured, its first stop's time would run on
    into the second; held as far on as its box went, the second stop starts afresh."""
    stop = 17.2  # metres from the camera's foot: the box's bottom is still in the frame; 1.5 m on, cut
    path = [40.0 - 2.0 * k for k in range(12)] + [stop] * 20 + [stop - 0.5, stop - 1.0, stop - 1.5] + [stop - 1.5] * 30
    track, footprint = drive_to_the_bottom(path)
    assert track.last.frame_index == len(path) - 1  # held up to now
    first_stop = next(p for p in track.points if p.frame_index == 25)
    ground = footprint.plane.to_world(np.array([first_stop.anchor, track.last.anchor]))
    assert float(np.linalg.norm(ground[1] - ground[0])) >= 0.6  # beyond illegal_stop's still radius (0.5 m)


def test_a_motorcycle_boxed_as_its_rider_half_the_time_is_measured_on_every_box() -> None:
    """Rider and motorcycle boxes are one size: all of them are the motorcycle's path."""
    track = ride(["motorcycle", "person", "person", "motorcycle", "bicycle"], 36.0, 40 / CAMERA_FPS)[-1]
    assert track.class_name == "motorcycle"
    assert len(track.points) >= 38 and {p.class_name for p in track.points} == {"motorcycle", "person", "bicycle"}

