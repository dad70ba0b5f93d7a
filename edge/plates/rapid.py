"""RapidOCR backend: PaddleOCR's PP-OCRv4 det/rec models on ONNX Runtime, no torch.

The weights ship inside the `rapidocr_onnxruntime==1.4.4` wheel (models/ in the package);
their paths are pinned here, and that release has no download code at all. Settings follow
MODELS.md §5: a small detector limit (`max` 320) keeps a plate crop from being blown up to
~2200 px, which takes 450–610 ms instead of ~75 ms.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidocr_onnxruntime.ch_ppocr_det import TextDetector  # type: ignore[import-untyped]
from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer  # type: ignore[import-untyped]
from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH  # type: ignore[import-untyped]
from rapidocr_onnxruntime.utils import read_yaml  # type: ignore[import-untyped]

from edge.errors import ModelError
from edge.plates.config import RapidOcrConfig
from edge.plates.ocr import TextRead, crop_line, ctc_decode, extend_line, main_line, prepare

DET_MODEL = "ch_PP-OCRv4_det_infer.onnx"
REC_MODEL = "ch_PP-OCRv4_rec_infer.onnx"


def model_dir() -> Path:
    """The wheel's own models/ folder."""
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    if spec is None or spec.origin is None:
        raise ModelError("rapidocr_onnxruntime is not installed: pip install etle-edge (it is a core dependency)")
    return Path(spec.origin).parent / "models"


class RapidOcrRecognizer:
    def __init__(self, config: RapidOcrConfig) -> None:
        self._config = config
        models = model_dir()
        for name in (DET_MODEL, REC_MODEL):
            if not (models / name).is_file():
                raise ModelError(f"{models / name} is missing: reinstall rapidocr_onnxruntime==1.4.4")
        base: dict[str, Any] = read_yaml(str(DEFAULT_CFG_PATH))
        threads = {"intra_op_num_threads": config.threads, "inter_op_num_threads": 1}
        self._det = TextDetector({
            **base["Det"], **threads, "model_path": str(models / DET_MODEL),
            "limit_side_len": config.det_limit_side_len, "limit_type": "max",
        })
        self._rec = TextRecognizer({**base["Rec"], **threads, "model_path": str(models / REC_MODEL)})
        self._labels: list[str] = list(self._rec.postprocess_op.character)

    def read(self, plate_image: NDArray[np.uint8]) -> TextRead:
        image = prepare(plate_image, self._config.line_width)
        boxes, _ = self._det(image)
        quad = main_line([np.asarray(b, np.float32) for b in boxes] if boxes is not None else [])
        if quad is None:
            return TextRead()
        quad = extend_line(image, quad)
        line = crop_line(image, quad)
        if line.shape[0] < 4 or line.shape[1] < 4:
            return TextRead()
        _, height, width = self._rec.rec_image_shape
        tensor = self._rec.resize_norm_img(line, max(width / height, line.shape[1] / line.shape[0]))
        probs = self._rec.session(tensor[None].astype(np.float32))[0][0]
        return ctc_decode(probs, self._labels)
