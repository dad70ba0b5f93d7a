"""Detector backends on the real bundled models and real photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from edge.detect.base import make_session
from edge.detect.build import build_detector
from edge.detect.config import CenterNetConfig, OrtOptions, YoloConfig
from edge.errors import ModelError
from tests.conftest import MODELS, ultralytics_asset

PLATE_LABELS = {0: "plate"}


def test_centernet_finds_the_bus_and_people() -> None:
    image = cv2.imread(str(ultralytics_asset("bus.jpg")))
    dets = build_detector(CenterNetConfig(model=MODELS / "centernet.onnx")).detect(image)
    names = list(dets.data["class_name"])
    assert names.count("bus") == 1 and names.count("person") >= 3
    bus = dets.xyxy[names.index("bus")]
    assert bus[0] < 60 and bus[2] > 740 and 180 < bus[1] < 260 and bus[3] > 700  # the bus spans the photo
    assert dets.confidence is not None and np.all(dets.confidence >= 0.3)
    assert dets.xyxy.dtype == np.float32 and np.all(dets.xyxy[:, 2] <= image.shape[1])


def test_centernet_on_an_empty_road() -> None:
    dets = build_detector(CenterNetConfig(model=MODELS / "centernet.onnx")).detect(
        np.full((720, 1280, 3), 90, dtype=np.uint8))
    assert len(dets) == 0 and list(dets.data["class_name"]) == []


def plate_photo() -> tuple[np.ndarray, tuple[int, int, int, int]]:
    image = cv2.imread(str(ultralytics_asset("bus.jpg")))
    x1, y1, x2, y2 = 300, 700, 480, 760
    cv2.rectangle(image, (x1, y1), (x2, y2), (255, 255, 255), -1)
    cv2.rectangle(image, (x1, y1), (x2, y2), (0, 0, 0), 3)
    cv2.putText(image, "B 1234 XYZ", (x1 + 8, y2 - 18), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 3)
    return image, (x1, y1, x2, y2)


def test_yolo_raw_head_on_the_plate_model() -> None:
    image, (x1, y1, x2, y2) = plate_photo()
    detector = build_detector(YoloConfig(model=MODELS / "license_plate_detector.onnx", labels=PLATE_LABELS))
    dets = detector.detect(image)
    assert len(dets) == 1 and dets.data["class_name"][0] == "plate"
    px1, py1, px2, py2 = dets.xyxy[0]
    assert px1 < x1 + 20 and px2 > x2 - 20 and py1 < y1 + 15 and py2 > y2 - 15


def end_to_end_model(path: Path, rows: list[list[float]]) -> Path:
    """A real ONNX graph with a YOLOv10/YOLO26-style output [1, N, 6] (x1, y1, x2, y2, score, class)."""
    table = np.asarray([rows], dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
            helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
            helper.make_node("Add", ["table", "nothing"], ["output0"]),
        ],
        "e2e",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, len(rows), 6])],
        [helper.make_tensor("table", TensorProto.FLOAT, table.shape, table.ravel()),
         helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_yolo_end_to_end_output(tmp_path: Path) -> None:
    # 64×64 input, 128×64 frame: scale 0.5, pad_y 16. No NMS must be applied to these rows.
    model = end_to_end_model(tmp_path / "e2e.onnx", [
        [10, 20, 30, 40, 0.9, 2],   # car
        [12, 22, 30, 40, 0.8, 2],   # overlapping car: the graph already did NMS, keep it
        [0, 16, 8, 24, 0.1, 5],     # below threshold
        [40, 20, 60, 40, 0.7, 14],  # a bird: not a mapped class
    ])
    dets = build_detector(YoloConfig(model=model)).detect(np.zeros((64, 128, 3), dtype=np.uint8))
    assert list(dets.data["class_name"]) == ["car", "car"]
    assert np.allclose(dets.xyxy[0], [20, 8, 60, 48])


def input_echo_model(path: Path) -> Path:
    """A real dynamic-input ONNX graph whose one end-to-end row is (W/4, H/4, W/2, H/2) of the tensor it was
    given: the detector's boxes then tell the input size it chose and how it maps back."""
    i64 = TensorProto.INT64
    graph = helper.make_graph(
        [
            helper.make_node("Shape", ["images"], ["shape"]),
            helper.make_node("Gather", ["shape", "hw_idx"], ["wh"]),  # (W, H)
            helper.make_node("Cast", ["wh"], ["whf"], to=TensorProto.FLOAT),
            helper.make_node("Div", ["whf", "four"], ["quarter"]),
            helper.make_node("Div", ["whf", "two"], ["half"]),
            helper.make_node("Concat", ["quarter", "half", "tail"], ["row"], axis=0),
            helper.make_node("Reshape", ["row", "out_shape"], ["output0"]),
        ],
        "echo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 1, 6])],
        [helper.make_tensor("hw_idx", i64, [2], [3, 2]), helper.make_tensor("four", TensorProto.FLOAT, [], [4.0]),
         helper.make_tensor("two", TensorProto.FLOAT, [], [2.0]),
         helper.make_tensor("tail", TensorProto.FLOAT, [2], [0.9, 2.0]),
         helper.make_tensor("out_shape", i64, [3], [1, 1, 6])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        # 150×60 is under min_side: scaled ×256/150 to 256×102, padded to 256×128 (stride 32), not 640×640.
        ((60, 150), [37.5, 18.75, 75.0, 37.5]),
        # 2000×1000 is over max_side: scaled to 640×320, already multiples of 32.
        ((1000, 2000), [500.0, 250.0, 1000.0, 500.0]),
    ],
)
def test_a_dynamic_yolo_runs_each_image_at_the_size_it_needs(
        tmp_path: Path, size: tuple[int, int], expected: list[float]) -> None:
    detector = build_detector(YoloConfig(model=input_echo_model(tmp_path / "echo.onnx")))
    dets = detector.detect(np.zeros((*size, 3), dtype=np.uint8))
    assert np.allclose(dets.xyxy[0], expected)


def test_the_plate_model_is_dynamic_and_finds_the_plate_on_a_small_crop() -> None:
    image, (x1, y1, x2, y2) = plate_photo()
    crop = image[y1 - 100 : y2 + 60, x1 - 60 : x2 + 120]  # 360×220: runs at 384×224, not 640×640
    detector = build_detector(YoloConfig(model=MODELS / "license_plate_detector.onnx", labels=PLATE_LABELS))
    dets = detector.detect(crop)
    assert len(dets) == 1
    px1, py1, px2, py2 = dets.xyxy[0]
    assert abs(px1 - 60) < 20 and abs(px2 - (x2 - x1 + 60)) < 20 and abs(py1 - 100) < 15 and abs(py2 - 160) < 15


def test_min_side_above_max_side_is_refused() -> None:
    with pytest.raises(ModelError, match="min_side 700 > max_side 640"):
        build_detector(YoloConfig(model=MODELS / "license_plate_detector.onnx", min_side=700))


def test_unknown_execution_provider_lists_the_available_ones() -> None:
    with pytest.raises(ModelError, match=r"available: .*CPUExecutionProvider"):
        build_detector(CenterNetConfig(model=MODELS / "centernet.onnx",
                                       ort=OrtOptions(providers=["NoSuchExecutionProvider"])))


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        build_detector(CenterNetConfig(model=tmp_path / "none.onnx"))


def test_wrong_model_for_backend() -> None:
    with pytest.raises(ModelError, match="expected one NHWC"):
        build_detector(CenterNetConfig(model=MODELS / "license_plate_detector.onnx"))


def test_ort_threads_sleep_between_operators_unless_told_to_spin() -> None:
    """The detector shares two cores with the evidence thread: its threads must not busy-wait."""
    model = MODELS / "centernet.onnx"
    key = "session.intra_op.allow_spinning"
    assert make_session(model, OrtOptions()).get_session_options().get_session_config_entry(key) == "0"
    spinning = make_session(model, OrtOptions(spin_wait=True))
    assert spinning.get_session_options().get_session_config_entry(key) == "1"
