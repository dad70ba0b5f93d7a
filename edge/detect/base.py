"""The detector port and what every ONNX backend shares: session options, letterbox, NMS.

Detections are supervision's columnar `sv.Detections` (xyxy, confidence, class_id, with the
class name in `data["class_name"]`); the trackers library consumes the same type, so we do
not keep a twin of it. Stages treat a `Detections` as immutable: filter with masks into a
new value, never assign into one received from another stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import onnxruntime as ort
import supervision as sv
from numpy.typing import NDArray

from edge.detect.config import OrtOptions
from edge.errors import ModelError


class Detector(Protocol):
    """One method: a BGR frame in, detections in that frame's pixels out."""

    def detect(self, image: NDArray[np.uint8]) -> sv.Detections: ...


_GRAPH_LEVELS = {
    "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


def make_session(path: Path, options: OrtOptions) -> ort.InferenceSession:
    """Open an ONNX model with explicit options; errors name the file and the fix."""
    available = ort.get_available_providers()
    unknown = [p for p in options.providers if p not in available]
    if unknown:
        raise ModelError(f"execution provider(s) {unknown} not available here; available: {available}")
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist (bundled models live in models/)")
    so = ort.SessionOptions()
    so.intra_op_num_threads = options.intra_op_threads
    so.inter_op_num_threads = options.inter_op_threads
    so.graph_optimization_level = _GRAPH_LEVELS[options.graph_optimization]
    so.add_session_config_entry("session.intra_op.allow_spinning", "1" if options.spin_wait else "0")
    try:
        return ort.InferenceSession(str(path), sess_options=so, providers=options.providers)
    except Exception as exc:  # ORT raises its own untyped errors for bad files
        raise ModelError(f"cannot load {path} as an ONNX model: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How a frame was fitted into the model's square input, to map boxes back."""

    scale: float
    pad_x: float
    pad_y: float

    def unmap(self, xyxy: NDArray[np.floating], width: int, height: int) -> NDArray[np.float32]:
        boxes = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4).copy()
        boxes[:, [0, 2]] = (boxes[:, [0, 2]] - self.pad_x) / self.scale
        boxes[:, [1, 3]] = (boxes[:, [1, 3]] - self.pad_y) / self.scale
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
        return boxes


def letterbox(image: NDArray[np.uint8], size: int, pad_value: int) -> tuple[NDArray[np.uint8], Letterbox]:
    """Resize keeping aspect ratio and centre on a size×size canvas (BGR kept)."""
    height, width = image.shape[:2]
    scale = min(size / width, size / height)
    new_w, new_h = round(width * scale), round(height * scale)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((size, size, 3), pad_value, dtype=np.uint8)
    pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
    canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
    return canvas, Letterbox(scale=scale, pad_x=pad_x, pad_y=pad_y)


def fit_to_stride(image: NDArray[np.uint8], long_side: int, stride: int,
                  pad_value: int) -> tuple[NDArray[np.uint8], Letterbox]:
    """Resize so the longer side is `long_side` and pad each side up to a multiple of `stride`:
    the input a dynamic-shape model needs for this image, no larger (top-left aligned).

    >>> canvas, fit = fit_to_stride(np.zeros((100, 300, 3), np.uint8), 256, 32, 114)
    >>> canvas.shape, round(fit.scale, 3), fit.pad_x, fit.pad_y
    ((96, 256, 3), 0.853, 0, 0)
    """
    height, width = image.shape[:2]
    scale = long_side / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((-(-new_h // stride) * stride, -(-new_w // stride) * stride, 3), pad_value, dtype=np.uint8)
    canvas[:new_h, :new_w] = resized
    return canvas, Letterbox(scale=scale, pad_x=0, pad_y=0)


def to_detections(
    xyxy: NDArray[np.floating],
    scores: NDArray[np.floating],
    class_ids: NDArray[np.integer],
    labels: dict[int, str],
    nms_iou: float | None,
    agnostic: bool = True,
) -> sv.Detections:
    """Keep mapped classes, apply NMS, and build the columnar value.

    Class-agnostic NMS by default: one vehicle often scores as two classes (bus and truck,
    motorcycle and car) with nearly the same box, and two boxes would become two tracks and
    count one act twice. The tracker's class vote settles the label over time.
    """
    keep = np.isin(class_ids, list(labels))
    xyxy, scores, class_ids = xyxy[keep], scores[keep], class_ids[keep]
    if nms_iou is not None and len(scores) > 0:
        xywh = np.column_stack([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]])
        if agnostic:
            idx = cv2.dnn.NMSBoxes(xywh.tolist(), scores.tolist(), 0.0, nms_iou)
        else:
            idx = cv2.dnn.NMSBoxesBatched(xywh.tolist(), scores.tolist(), class_ids.tolist(), 0.0, nms_iou)
        order = np.asarray(idx, dtype=int).reshape(-1)
        xyxy, scores, class_ids = xyxy[order], scores[order], class_ids[order]
    if len(scores) == 0:
        empty = sv.Detections.empty()
        empty.data["class_name"] = np.array([], dtype=str)
        return empty
    return sv.Detections(
        xyxy=np.asarray(xyxy, dtype=np.float32),
        confidence=np.asarray(scores, dtype=np.float32),
        class_id=np.asarray(class_ids, dtype=int),
        data={"class_name": np.array([labels[int(c)] for c in class_ids])},
    )
