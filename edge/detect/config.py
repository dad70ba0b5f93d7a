"""The detect stage's settings: detector backends (chosen by their `type` tag), ONNX Runtime
options and the two signal readers. Pydantic only, so `edge.settings` loads no model runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# Contiguous COCO-80 indices of the classes an intersection camera cares about.
COCO_VEHICLE_LABELS: dict[int, str] = {
    0: "person", 1: "bicycle", 2: "car", 3: "motorcycle", 5: "bus", 7: "truck",
}


class OrtOptions(BaseModel):
    """ONNX Runtime session options, passed through to `InferenceSession` unchanged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    providers: list[str] = Field(
        default_factory=lambda: ["CPUExecutionProvider"], title="Execution providers",
        description="In order of preference, e.g. [TensorrtExecutionProvider, CUDAExecutionProvider, "
        "CPUExecutionProvider].",
    )
    intra_op_threads: int = Field(default=2, ge=0, title="Intra-op threads", description="0: ORT decides.")
    inter_op_threads: int = Field(default=1, ge=0, title="Inter-op threads", description="0: ORT decides.")
    graph_optimization: Literal["disable", "basic", "extended", "all"] = Field(
        default="all", title="Graph optimisation level"
    )
    # Off by default: the box runs the evidence thread (plate reads, redaction, clips) beside the
    # detector, and threads spinning between operators took the cores it needed. Pipeline fps on
    # tune 131 and eval 5001, three interleaved pairs on 2 cores: +11 %, +6 %, +38 % without spinning;
    # the bare detector loop moved within the machine's run-to-run noise (±20 %).
    spin_wait: bool = Field(
        default=False, title="Spin-wait between operators",
        description="ORT's intra-op threads busy-wait for the next operator (a little lower latency when "
        "the detector has the cores to itself). Off: they sleep, leaving the cores to the box's other "
        "threads (the evidence thread, decoding).",
    )


class OnnxDetectorConfig(BaseModel):
    """What every ONNX backend's config shares; each backend adds its `type` tag and defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nms_iou: float = Field(default=0.45, gt=0, le=1, title="NMS IoU threshold")
    nms_class_agnostic: bool = Field(
        default=True, title="Class-agnostic NMS",
        description="Suppress overlapping boxes across classes (one vehicle, one box).",
    )
    labels: dict[int, str] = Field(
        default_factory=lambda: dict(COCO_VEHICLE_LABELS), title="Classes kept",
        description="Model class index → name; other classes are dropped.",
    )
    ort: OrtOptions = Field(default_factory=OrtOptions, title="ONNX Runtime options")


class CenterNetConfig(OnnxDetectorConfig):
    type: Literal["centernet"] = "centernet"
    model: Path = Field(default=Path("models/centernet.onnx"), title="ONNX file")
    score_threshold: float = Field(default=0.3, ge=0, le=1, title="Minimum score")


class YoloConfig(OnnxDetectorConfig):
    type: Literal["yolo"] = "yolo"
    model: Path = Field(title="ONNX file")
    score_threshold: float = Field(default=0.25, ge=0, le=1, title="Minimum score")
    # A dynamic-shape export runs at the size each image needs: a 200 px vehicle crop letterboxed
    # to 640 costs ten times the work of the same crop at 224, for no more detail.
    min_side: int = Field(
        default=256, ge=32, title="Smallest input side (dynamic models)",
        description="Pixels. An image smaller than this is scaled up to it; ignored by fixed-size models.",
    )
    max_side: int = Field(
        default=640, ge=32, title="Largest input side (dynamic models)",
        description="Pixels. A larger image is scaled down to it; ignored by fixed-size models.",
    )


DetectorConfig = Annotated[CenterNetConfig | YoloConfig, Field(discriminator="type")]


class SignalVisionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    on_level: float = Field(default=0.45, gt=0, le=1, title="Lit lamp brightness", description="0–1.")
    margin: float = Field(default=0.15, ge=0, le=1, title="Lead over the other lamps", description="0–1.")
    debounce_frames: int = Field(default=3, ge=1, title="Frames to confirm a change")


class SignalControllerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    stale_s: float = Field(
        default=5.0, gt=0, title="Stale after",
        description="Seconds without any message from the controller before its signals become unknown. "
        "Controllers repeat the current phase at least this often.",
    )
