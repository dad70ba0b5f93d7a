"""The configured detector backend, chosen by the `type` tag of its config."""

from __future__ import annotations

from edge.detect.base import Detector
from edge.detect.centernet import CenterNetDetector
from edge.detect.config import CenterNetConfig, YoloConfig
from edge.detect.yolo import YoloDetector


def build_detector(config: CenterNetConfig | YoloConfig) -> Detector:
    if isinstance(config, CenterNetConfig):
        return CenterNetDetector(config)
    return YoloDetector(config)
