"""The tracker's settings. Pydantic only: `edge.settings` loads neither ByteTrack nor OpenCV."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from edge.footprint import FootprintConfig

RIDER_WINDOW_S = 1.0
# A "person" track is judged over no less than this: a motorcycle at 80 km/h is boxed for 0.7 s in a
# wide view (tune 134, 137: never judged at a full second, so never charged), and covers 11 m in half a
# second, which no pedestrian does and box jitter does not fake (steps are checked for jumps).
RIDER_MIN_S = 0.5


class TrackerConfig(BaseModel):
    """ByteTrack thresholds, tuned for CenterNet's modest scores (0.3–0.7 on real vehicles)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A vehicle standing at a red or in a no-stopping box scores near the detector's threshold and
    # drops out for 2-3 s at a time: at 1.5 s its track (and the crossing or dwell in its history)
    # ended before the red did (tune split: illegal_stop recall 0.74 -> 0.84, stop_line 0.67 -> 0.73,
    # no charge added; 5 s bought nothing more).
    lost_track_s: float = Field(default=3.0, gt=0, title="Keep a lost track", description="Seconds.")
    # CenterNet scores a motorcycle (or its rider) 0.36-0.44 and a far car 0.37-0.48: at 0.4/0.45
    # half of them never started a track (tune split: recall 0.70 → 0.76, no wrong charge added).
    # Of the two, `high_confidence` is the one that gates a new track: trackers' ByteTrack (2.6.1) spawns
    # tracks from unmatched first-stage boxes only, so a box under it never starts one, whatever
    # `activation_threshold` says (checked 2026-12-05 on tune 136: a motorcycle boxed at 0.33-0.39 for
    # six frames got its track at the first 0.42 box).
    activation_threshold: float = Field(default=0.3, ge=0, le=1, title="Score to start a track")
    high_confidence: float = Field(default=0.4, ge=0, le=1, title="First-stage association score")
    minimum_iou: float = Field(default=0.1, ge=0, le=1, title="Minimum IoU to associate")
    minimum_consecutive_frames: int = Field(default=2, ge=1, title="Frames before a track gets an id")
    history_s: float = Field(default=20.0, gt=0, title="History kept per track", description="Seconds.")
    hold_within_s: float = Field(
        default=0.5, ge=0, title="Hold a standing vehicle the border cuts",
        description="Seconds: a vehicle whose box the frame's bottom cuts (no footprint) and that stops within "
        "this time of its last measured footprint stands there while its box stays still (edge.track.hold). "
        "0: never.",
    )
    hold_tolerance: float = Field(
        default=0.05, gt=0, le=0.5, title="Still box tolerance",
        description="Share of the box's size its centre and top may wander (its width twice that) and still be "
        "the same standing vehicle: above CenterNet's jitter on a standing car, below a 0.5 m creep near the camera.",
    )
    footprint: FootprintConfig = Field(default_factory=FootprintConfig, title="Ground footprint")
    rider_speed_kmh: float = Field(
        default=15.0, ge=0, title="A fast 'person' is a rider",
        description="km/h: a track the detector calls a person that moved along the road this fast, as far as "
        f"this speed goes in {RIDER_WINDOW_S:g} s (over {RIDER_MIN_S:g} s at least: a fast rider sooner), is a "
        "motorcycle with its rider, and is judged as one (COCO detectors box a rider and motorcycle seen from "
        "the front or rear as a person). 0: never. Needs a ground plane.",
    )
