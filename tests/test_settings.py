"""Device settings: a YAML file, with ETLE__ environment variables over it (how a container or a
systemd unit sets one value), and a clear error naming what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.settings import SettingsError, load_settings


def test_environment_variables_override_the_file_and_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "device.yaml"
    path.write_text("device_id: box-from-file\ndelivery:\n  drain_timeout_s: 5\n  broker:\n    host: 10.0.0.1\n")
    settings = load_settings(path, {
        "ETLE__DELIVERY__BROKER__HOST": "broker.polda.example",
        "ETLE__DELIVERY__BROKER__PORT": "8883",
        "ETLE__TRACKER__LOST_TRACK_S": "2.5",
        "ETLE__RULES__RESTRICTED_LANE__SIZE_FIT": "[0.4, 1.5]",
        "PATH": "/usr/bin",  # not ours: ignored
    })
    assert settings.device_id == "box-from-file"  # the file's, where no variable says otherwise
    assert settings.delivery.drain_timeout_s == 5
    assert (settings.delivery.broker.host, settings.delivery.broker.port) == ("broker.polda.example", 8883)
    assert settings.tracker.lost_track_s == 2.5
    assert settings.rules.restricted_lane.size_fit == (0.4, 1.5)
    assert load_settings(None, {"ETLE__DEVICE_ID": "box-7"}).device_id == "box-7"
    assert load_settings(None, {}) == load_settings(None, {"HOME": "/root"})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ETLE__DELIVERY__BROKER__HOTS": "x"}, r"(?s)settings with ETLE__DELIVERY__BROKER__HOTS are invalid.*hots"),
        ({"ETLE__TRACKER__LOST_TRACK_S": "soon"}, r"lost_track_s"),
        ({"ETLE__TRACKER____X": "1"}, r"ETLE__TRACKER____X: an empty part"),
        ({"ETLE__DEVICE_ID": "[unclosed"}, r"ETLE__DEVICE_ID: not a YAML value"),
        ({"ETLE__TRACKER": "3", "ETLE__TRACKER__LOST_TRACK_S": "2"}, r"tracker is set to a value by another"),
        ({"ETLE__EVIDENCE__PLATES__SETTLED_AFTER": "2"},
         r"evidence.plates.settled_after \(2\) is below rules.odd_even.min_plate_votes \(3\)"),
    ],
    ids=["unknown field", "not a number", "empty part", "bad yaml", "value and section", "plates settle too soon"],
)
def test_a_bad_override_names_the_variable_or_the_field(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(None, environ)


def test_a_settings_file_that_is_not_a_mapping_says_so(tmp_path: Path) -> None:
    path = tmp_path / "device.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(SettingsError, match="holds a list, not a mapping"):
        load_settings(path, {})


def test_one_variable_sets_one_field_of_a_section_the_file_leaves_out(tmp_path: Path) -> None:
    """The section starts from its defaults (a detector is chosen by its type tag: without them the
    one field would be a detector of no type), as the Jetson image sets the providers."""
    providers = "[TensorrtExecutionProvider, CUDAExecutionProvider, CPUExecutionProvider]"
    settings = load_settings(None, {"ETLE__DETECTOR__ORT__PROVIDERS": providers,
                                    "ETLE__EVIDENCE__PLATES__DETECTOR__ORT__PROVIDERS": "[CPUExecutionProvider]"})
    default = load_settings(None, {})
    assert settings.detector.ort.providers[0] == "TensorrtExecutionProvider"
    assert settings.detector.model_copy(update={"ort": default.detector.ort}) == default.detector
    assert settings.evidence.plates.detector.model == default.evidence.plates.detector.model
    path = tmp_path / "device.yaml"
    path.write_text("detector:\n  type: yolo\n  model: models/yolov8n.onnx\n")
    from_file = load_settings(path, {"ETLE__DETECTOR__ORT__PROVIDERS": providers})
    assert from_file.detector.type == "yolo" and from_file.detector.ort.providers[1] == "CUDAExecutionProvider"
