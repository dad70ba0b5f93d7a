"""YOLO-family ONNX exports: YOLOv8/YOLO11 heads `[1, 4+C, N]` and end-to-end `[1, N, 6]`.

The raw head (v8/11) gives centre-x, centre-y, w, h and C class scores (already sigmoid,
no objectness) per anchor and needs NMS. End-to-end exports (YOLOv10, YOLO26) already did
NMS inside the graph and give x1, y1, x2, y2, score, class per row.
Input: NCHW float32, RGB 0–1, letterbox padded with 114 as ultralytics trains. A fixed-size
export gets the square it was made for; a dynamic-shape export (`dynamic=True`) gets each image
at the size it needs, between the config's `min_side` and `max_side`, padded to the stride.
"""

from __future__ import annotations

import cv2
import numpy as np
import supervision as sv
from numpy.typing import NDArray

from edge.detect.base import Letterbox, fit_to_stride, letterbox, make_session, to_detections
from edge.detect.config import YoloConfig
from edge.errors import ModelError


def decode_raw_head(out: NDArray[np.float32], threshold: float) -> tuple[NDArray[np.float32], ...]:
    """[1, 4+C, N] → (xyxy, score, class) of anchors whose best class score passes."""
    rows = out[0].T
    class_scores = rows[:, 4:]
    cls = class_scores.argmax(axis=1)
    score = class_scores[np.arange(len(rows)), cls]
    keep = score >= threshold
    cx, cy, w, h = rows[keep, 0], rows[keep, 1], rows[keep, 2], rows[keep, 3]
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return xyxy, score[keep], cls[keep].astype(np.float32)


def decode_end_to_end(out: NDArray[np.float32], threshold: float) -> tuple[NDArray[np.float32], ...]:
    """[1, N, 6] → (xyxy, score, class) of rows that pass."""
    rows = out[0]
    rows = rows[rows[:, 4] >= threshold]
    return rows[:, :4], rows[:, 4], rows[:, 5]


_STRIDE = 32  # the coarsest feature map of YOLOv8/11 heads: every input side is a multiple of it


class YoloDetector:
    def __init__(self, config: YoloConfig) -> None:
        self._config = config
        self._session = make_session(config.model, config.ort)
        inp, out = self._session.get_inputs(), self._session.get_outputs()
        shape = list(inp[0].shape)
        if len(inp) != 1 or len(shape) != 4 or shape[1] != 3:
            raise ModelError(f"{config.model}: expected an NCHW [1,3,H,W] input, got {shape}")
        if config.min_side > config.max_side:
            raise ModelError(f"{config.model}: min_side {config.min_side} > max_side {config.max_side}")
        # A fixed export names its side; a dynamic one names its axes (e.g. "height").
        self._input = inp[0].name
        self._size = int(shape[2]) if isinstance(shape[2], int) and isinstance(shape[3], int) else None
        out_shape = list(out[0].shape)
        if len(out_shape) != 3:
            raise ModelError(f"{config.model}: unsupported output shape {out_shape}")
        # End-to-end exports put 6 values on the last axis; raw heads put 4+C on axis 1.
        self._end_to_end = out_shape[2] == 6 and out_shape[1] != 6

    def _fit(self, image: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], Letterbox]:
        if self._size is not None:
            return letterbox(image, self._size, pad_value=114)
        side = min(max(*image.shape[:2], self._config.min_side), self._config.max_side)
        return fit_to_stride(image, side, _STRIDE, pad_value=114)

    def detect(self, image: NDArray[np.uint8]) -> sv.Detections:
        height, width = image.shape[:2]
        boxed, fit = self._fit(image)
        tensor = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).astype(np.float32).transpose(2, 0, 1)[None] / 255.0
        (out,) = self._session.run(None, {self._input: tensor})
        out = np.asarray(out, dtype=np.float32)
        decode = decode_end_to_end if self._end_to_end else decode_raw_head
        xyxy, score, cls = decode(out, self._config.score_threshold)
        return to_detections(
            fit.unmap(xyxy, width, height),
            score,
            cls.round().astype(int),
            self._config.labels,
            None if self._end_to_end else self._config.nms_iou,
            self._config.nms_class_agnostic,
        )
