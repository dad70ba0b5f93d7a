"""The evidence stage's settings: which pictures, how long a clip, where folders go, and how plates
are read. Pydantic only: `edge.settings` loads neither OpenCV nor the OCR."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from edge.plates.config import PlateConfig
from edge.privacy.config import PrivacyConfig


class EvidenceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    directory: Path = Field(default=Path("evidence"), title="Evidence folder")
    before_s: float = Field(default=1.0, ge=0, title="Overview before the act", description="Seconds.")
    after_s: float = Field(default=1.0, ge=0, title="Overview after the act", description="Seconds.")
    jpeg_quality: int = Field(default=92, ge=50, le=100, title="JPEG quality")
    closeup_margin: float = Field(default=0.25, ge=0, le=2, title="Close-up margin",
                                  description="Fraction of the box added on each side.")
    plates: PlateConfig = Field(default_factory=PlateConfig, title="Plate reading",
                                description="Of the violating vehicle only, from the frames around the act.")
    clip: bool = Field(default=True, title="Clip", description="A short MP4 around the act in each folder.")
    clip_before_s: float = Field(default=2.0, ge=0, le=10, title="Clip before the act", description="Seconds.")
    clip_after_s: float = Field(default=2.0, ge=0, le=10, title="Clip after the act", description="Seconds.")
    privacy: PrivacyConfig = Field(
        default_factory=PrivacyConfig, title="Privacy",
        description="Redacted copies of the pictures and the clip (persons, other vehicles' plates), and "
        "which of them leave the box (README, Privacy).",
    )
    background_jobs_waiting: int = Field(
        default=8, ge=1, title="Plate reads and clips waiting at most",
        description="Queued for the evidence thread; past it the pipeline waits: nothing is dropped.",
    )

    @property
    def span_before_s(self) -> float:
        return max(self.before_s, self.clip_before_s if self.clip else 0.0)

    @property
    def span_after_s(self) -> float:
        """How long a violation waits for the frames after it."""
        return max(self.after_s, self.clip_after_s if self.clip else 0.0)

    def ring_frames(self, fps: float) -> int:
        # Room for the frames before, the wait for frames after, and slack for late decisions.
        return max(2, round((self.span_before_s + self.span_after_s + 2.0) * fps))
