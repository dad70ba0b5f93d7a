"""The privacy settings: which detectors find what to hide, how hard it is hidden, and what is
published. Pydantic only: `edge.settings` loads no OpenCV and no ONNX Runtime through it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.detect.config import COCO_VEHICLE_LABELS, CenterNetConfig, OrtOptions, YoloConfig
from edge.paths import in_project
from edge.plates.config import PLATE_MODEL

Publish = Literal["redacted", "both"]
PlateSearch = Literal["packed", "each"]


def _objects() -> CenterNetConfig:
    # Persons (COCO 0) besides the vehicles whose plates are looked for; a lower threshold than the
    # vehicle detector's (0.3): a missed bystander is a leak, an extra blur costs nothing.
    return CenterNetConfig(labels=dict(COCO_VEHICLE_LABELS), score_threshold=0.15,
                           ort=OrtOptions(intra_op_threads=1))


def _plates() -> YoloConfig:
    # Below the plate reader's 0.25: a plate seen faintly in a keyframe is hidden in the frames around it,
    # where it may score higher (on the demo clip one scored 0.22 between two keyframes that saw it under 0.2).
    return YoloConfig(model=PLATE_MODEL, labels={0: "plate"}, score_threshold=0.1, ort=OrtOptions(intra_op_threads=1))


class PrivacyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=True, title="Redacted copies",
        description="Make a redacted copy of every evidence picture and of the clip. Off: only originals, "
        "all published (no privacy section in the event).",
    )
    publish: Publish = Field(
        default="redacted", title="What leaves the box",
        description="redacted: the redacted copies (and the violator's plate crop) only; the originals stay "
        "on the box, bound by sha256 in the signed event, until retention, fetchable on request. "
        "both: originals and redacted copies.",
    )
    objects: CenterNetConfig = Field(default_factory=_objects, title="Person and vehicle detector",
                                     description="The bundled COCO CenterNet, run on evidence frames only.")
    plates: YoloConfig = Field(default_factory=_plates, title="Plate detector",
                               description="The bundled plate detector, run on evidence frames only.")
    plate_search: PlateSearch = Field(
        default="packed", title="Plate search on vehicles",
        description="packed: the detected vehicles' windows laid side by side at native scale on 640 px "
        "inputs, one detector run for all of them (plates of 40 px and more); each: one run per vehicle, "
        "its window scaled up to the input (smaller plates too, several times the cost).",
    )
    plate_tile_px: int = Field(
        default=0, ge=0, title="Plate search tiles (stills)",
        description="On the overview stills, also search the frame in overlapping tiles of this size (640: "
        "the plate detector's input) for a plate on a vehicle the detector missed; the clip's keyframes "
        "are not. 0: the detected vehicles only. On the demo clip 640 doubles the cost of an event and "
        "found no plate the vehicles' search missed.",
    )
    cell_px: int = Field(default=12, ge=4, le=64, title="Mosaic cell",
                         description="Smallest mosaic cell, pixels.")
    max_cells: int = Field(
        default=4, ge=1, le=16, title="Mosaic cells across",
        description="At most this many cells across a region's short side: a face or plate keeps no detail.",
    )
    margin: float = Field(default=0.15, ge=0, le=1, title="Margin",
                          description="Fraction of a region's size added on each side before it is hidden.")
    rider_overlap: float = Field(
        default=0.6, ge=0, le=1, title="Violator's riders",
        description="A person at least this much inside the violator's box is its driver or rider: kept.",
    )
    clip_keyframe_s: float = Field(
        default=0.3, gt=0, le=5, title="Clip keyframes",
        description="Seconds between clip frames the detectors run on; frames between them hide what "
        "either neighbouring keyframe found, and the span of each region seen in both.",
    )

    def resolved(self) -> PrivacyConfig:
        """Relative model paths are the project's (models/ ships with it)."""
        return self.model_copy(update={
            "objects": self.objects.model_copy(update={"model": in_project(self.objects.model)}),
            "plates": self.plates.model_copy(update={"model": in_project(self.plates.model)}),
        })
