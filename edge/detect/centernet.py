"""MobileNetV3-CenterNet (COCO-80), the bundled default vehicle detector.

Tensors (see models/PROVENANCE.md): input NHWC float32 [1, 512, 512, 3], RGB 0–255 (the
normalisation is folded into the first conv); output [1, 100, 6] = x1, y1, x2, y2 in input
pixels, score, class. Peak picking leaves duplicates, so NMS is still needed.
"""

from __future__ import annotations

import cv2
import numpy as np
import supervision as sv
from numpy.typing import NDArray

from edge.detect.base import letterbox, make_session, to_detections
from edge.detect.config import CenterNetConfig
from edge.errors import ModelError

INPUT_SIZE = 512


class CenterNetDetector:
    def __init__(self, config: CenterNetConfig) -> None:
        self._config = config
        self._session = make_session(config.model, config.ort)
        inputs = self._session.get_inputs()
        if len(inputs) != 1 or list(inputs[0].shape)[1:] != [INPUT_SIZE, INPUT_SIZE, 3]:
            raise ModelError(f"{config.model}: expected one NHWC [1,512,512,3] input, got "
                             f"{[(i.name, i.shape) for i in inputs]}")
        self._input = inputs[0].name

    def detect(self, image: NDArray[np.uint8]) -> sv.Detections:
        height, width = image.shape[:2]
        boxed, fit = letterbox(image, INPUT_SIZE, pad_value=0)
        tensor = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).astype(np.float32)[None]
        (out,) = self._session.run(None, {self._input: tensor})
        rows = np.asarray(out, dtype=np.float32).reshape(-1, 6)
        rows = rows[rows[:, 4] >= self._config.score_threshold]
        return to_detections(
            fit.unmap(rows[:, :4], width, height),
            rows[:, 4],
            rows[:, 5].round().astype(int),
            self._config.labels,
            self._config.nms_iou,
            self._config.nms_class_agnostic,
        )
