"""Settings of the camera tamper and view-shift watch. Pydantic only: `edge.settings` can load it
without OpenCV.

The defaults were measured on the demo clip (calibration/demo, tests/tamper): over its 300 normal
frames the view drifts at most ~1 px, the quietest pair of frames differs by 0.20 grey levels, the
sharpness stays within 89-117 % of the reference and at least 150 feature matches agree.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TamperConfig(BaseModel):
    """When the camera's picture can no longer be trusted, and how long before and after it counts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=True, title="Watch the view",
        description="Check every frame for a frozen, black, white, blurred or moved picture; off: never fail-safe "
        "for the view (the status says the watch is off).",
    )
    check_every_s: float = Field(
        default=1.0, gt=0, le=60, title="Geometric check every",
        description="Seconds between the feature matching against the reference frame (shift, rotation, blur; "
        "~10 ms on a 2-core CPU). Frozen, black and white are checked on every frame.",
    )
    cheap_width: int = Field(
        default=320, ge=32, le=4096, title="Width of the per-frame checks",
        description="Pixels: every frame is sampled on a grid about this wide (no resampling) for the frozen, "
        "black and white checks.",
    )
    match_width: int = Field(
        default=640, ge=160, le=4096, title="Width of the feature matching",
        description="Pixels: the frame and the reference are shrunk to this width for the feature matching "
        "and the sharpness; shifts are reported in full-frame pixels.",
    )
    features: int = Field(
        default=1000, ge=100, le=10000, title="Features per frame",
        description="ORB keypoints found per frame and in the reference (more: steadier, slower).",
    )
    frozen_after_s: float = Field(
        default=3.0, gt=0, title="Frozen after",
        description="Seconds the picture may stay unchanged before the stream counts as frozen. Longer than the "
        "camera's keyframe interval: an encoder may repeat an empty, quiet road until the next keyframe.",
    )
    frozen_max_diff: float = Field(
        default=0.05, ge=0, title="Unchanged below",
        description="Mean absolute grey difference (0-255) between two sampled frames under which they count as "
        "the same picture. A live sensor's noise stays well above it (demo clip: ≥ 0.20, empty road included); "
        "a repeated or re-encoded frozen frame stays under it.",
    )
    dark_level: int = Field(default=24, ge=0, le=255, title="Black pixel", description="Grey level at or under "
                            "which a pixel is black.")
    bright_level: int = Field(default=235, ge=0, le=255, title="White pixel", description="Grey level at or over "
                              "which a pixel is saturated white.")
    blank_share: float = Field(
        default=0.9, gt=0, le=1, title="Blank image share",
        description="Share of the pixels that must be black (or white) for the image to count as black (covered "
        "lens, dead sensor, video loss) or white (glare, a light aimed at the lens).",
    )
    min_sharpness: float = Field(
        default=0.35, gt=0, le=1, title="Blurred under",
        description="Sharpness (variance of the Laplacian) relative to the reference frame's own, under which the "
        "image counts as blurred (defocus, dirt or water on the lens). Relative, so it holds for any scene; "
        "a Gaussian blur of σ 2 px brings the demo to ~10 %, σ 1 px to ~40 %.",
    )
    max_shift_px: float = Field(
        default=15.0, gt=0, title="Shift tolerance",
        description="Full-frame pixels the calibrated lanes and stop lines may have moved in the picture (camera "
        "knocked, turned, rolled or zoomed) before the calibration no longer fits the view.",
    )
    min_matches: int = Field(
        default=25, ge=4, title="Matches needed",
        description="Feature matches that must agree on one camera motion; fewer: the view is not the reference "
        "scene (lens blocked, camera turned away). The demo's normal frames have ≥ 150.",
    )
    min_inlier_ratio: float = Field(
        default=0.4, ge=0, le=1, title="Share of matches that must agree",
        description="Of the feature matches found, the share that must agree on one camera motion; the demo's "
        "normal frames ≥ 0.67, the same scene mirrored or upside down ~0.3.",
    )
    fault_after_s: float = Field(
        default=5.0, ge=0, title="Fail-safe after",
        description="Seconds a fault must last before the box goes fail-safe, so a bus passing in front of the "
        "lens (2-3 s) does not stop enforcement. Frozen counts from frozen_after_s on.",
    )
    clear_after_s: float = Field(
        default=10.0, ge=0, title="Judge again after",
        description="Seconds the view must stay good before violations are judged again.",
    )

    @model_validator(mode="after")
    def _levels_apart(self) -> TamperConfig:
        if self.dark_level >= self.bright_level:
            raise ValueError(f"dark_level ({self.dark_level}) must be under bright_level ({self.bright_level})")
        return self
