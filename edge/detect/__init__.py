"""Detector backends, chosen by the `type` tag of the detector config."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from edge.detect.base import Detector
from edge.detect.centernet import CenterNetConfig, CenterNetDetector
from edge.detect.yolo import YoloConfig, YoloDetector

DetectorConfig = Annotated[CenterNetConfig | YoloConfig, Field(discriminator="type")]

__all__ = ["CenterNetConfig", "Detector", "DetectorConfig", "YoloConfig", "build_detector"]


def build_detector(config: CenterNetConfig | YoloConfig) -> Detector:
    if isinstance(config, CenterNetConfig):
        return CenterNetDetector(config)
    return YoloDetector(config)
