"""Detect: the detector port and its ONNX backends (`build`), the detection region, and the signal
readers. Configs live in `edge.detect.config`, which loads no model runtime."""
