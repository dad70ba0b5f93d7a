"""The checks one by one, on real parts: keys made by keygen's code, a real camera stream, the
bundled clip and models, the clock probe's own parsing (through its runner injection)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from edge.clock import Runner
from edge.ledger.config import CHAIN_FILE
from edge.ledger.keys import PUBLIC_JWK_FILE, generate_keys
from edge.plates.config import PlateConfig
from edge.selftest.camera import CameraSpec, check_camera
from edge.selftest.checks import check_clock, check_disk, check_key
from edge.selftest.models import DEMO_FRAME, check_plates
from edge.selftest.probe import Budget, Finding, Probe, run_bounded
from edge.settings import DeviceSettings
from tests.conftest import DEMO
from tests.delivery.synth import DEVICE_ID
from tests.selftest.conftest import BoxFolder, LiveCamera

CLIP = str(DEMO / "clip.mp4")


def budget(seconds: float = 5.0) -> Budget:
    return Budget.of(seconds)


# --- the runner ---------------------------------------------------------------------------------

def _hangs(b: Budget) -> Finding:
    b.cancel.wait(30)
    return Finding("pass", "too late")


def _crashes(_b: Budget) -> Finding:
    raise RuntimeError("driver exploded")


def test_a_check_that_hangs_fails_at_the_timeout_and_is_told_to_stop() -> None:
    start = time.monotonic()
    check = run_bounded(Probe("camera", "camera rtsp://u:***@10.0.0.9/x", _hangs, "frame"), 0.5)
    assert time.monotonic() - start < 1.0
    assert (check.status, check.detail) == ("fail", "camera rtsp://u:***@10.0.0.9/x: no frame within 0.5 s")


def test_a_check_that_crashes_is_a_failed_check_naming_the_error() -> None:
    check = run_bounded(Probe("detector", "detector x.onnx", _crashes), 2)
    assert (check.ok, check.detail) == (False, "detector x.onnx: RuntimeError: driver exploded")


# --- clock: the box's own probe, its commands answered by a runner -----------------------------

SYNCED = "A29FC87B,ntp.example,2,1700000000.1,-0.000300,0.0,0.0,-1.0,0.0,0.0,0.01,0.001,64.0,Normal"
UNSYNCED = "00000000,,0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,Not synchronised"


def chrony(output: str) -> Runner:
    def run(argv: Sequence[str]) -> str:
        if argv[0] != "chronyc":
            raise FileNotFoundError(argv[0])
        return output
    return run


def absent(argv: Sequence[str]) -> str:
    raise FileNotFoundError(argv[0])


@pytest.mark.parametrize(("runner", "status", "words"), [
    (chrony(SYNCED), "pass", "chrony via ntp.example, stratum 2, offset +0.3 ms"),
    (chrony(UNSYNCED), "fail", "chrony: not synchronised"),
    (absent, "fail", "no time daemon answered"),
], ids=["chrony synchronised", "chrony not synchronised", "no daemon"])
def test_the_clock_check_reads_the_probe(runner: Runner, status: str, words: str) -> None:
    finding = check_clock(runner, budget())
    assert finding.status == status and words in finding.detail, finding


def test_the_clock_on_this_machine_passes_only_when_a_daemon_vouches_for_it() -> None:
    """Honest either way: here (a container without chrony or systemd) no daemon answers."""
    finding = check_clock(None, budget())
    have_daemon = shutil.which("chronyc") is not None or _timedatectl_works()
    if not have_daemon:
        assert finding.status == "fail" and finding.detail.startswith("no time daemon answered"), finding


def _timedatectl_works() -> bool:
    try:
        subprocess.run(["timedatectl", "show"], capture_output=True, check=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


# --- the signing key ----------------------------------------------------------------------------

def test_a_key_made_by_keygen_signs_and_verifies(box: BoxFolder) -> None:
    finding = check_key(box.keys, DEVICE_ID, budget())
    assert finding.status == "pass" and "signed and verified a test payload" in finding.detail, finding


@pytest.mark.parametrize(("spoil", "words"), [
    (lambda keys: (keys / "device.key.pem").unlink(), "does not exist: create one with `etle-edge keygen --out DIR`"),
    (lambda keys: (keys / "device.key.pem").write_text("not a key"), "is not an unencrypted PEM private key"),
    (lambda keys: (keys / CHAIN_FILE).unlink(), "the box would not sign"),
    (lambda keys: (keys / CHAIN_FILE).write_text(json.dumps({"device_id": "other-box"})), "belongs to device"),
    (lambda keys: (keys / PUBLIC_JWK_FILE).write_bytes((_other_key(keys) / PUBLIC_JWK_FILE).read_bytes()),
     "belongs to another key"),
], ids=["no private key", "not a key", "no chain state", "another device's chain", "another key's public key"])
def test_a_key_folder_the_box_could_not_sign_with_fails(box: BoxFolder, spoil: Callable[[Path], object],
                                                       words: str) -> None:
    spoil(box.keys)
    finding = check_key(box.keys, DEVICE_ID, budget())
    assert finding.status == "fail" and words in finding.detail, finding


def _other_key(keys: Path) -> Path:
    generate_keys(keys.parent / "other")
    return keys.parent / "other"


def test_no_key_configured_fails_because_unsigned_evidence_is_not_fit_to_send() -> None:
    finding = check_key(None, DEVICE_ID, budget())
    assert finding.status == "fail" and "UNSIGNED" in finding.detail


# --- disk -----------------------------------------------------------------------------------------

def test_disk_passes_with_room_and_fails_below_the_reserve(tmp_path: Path) -> None:
    roomy = DeviceSettings.model_validate({"evidence": {"directory": str(tmp_path / "not-yet")}})
    finding = check_disk(roomy, budget())
    assert finding.status == "pass" and f"evidence {tmp_path / 'not-yet'}:" in finding.detail, finding
    full = DeviceSettings.model_validate({"evidence": {"directory": str(tmp_path)},
                                          "delivery": {"min_disk_free_mb": 1e12}})
    finding = check_disk(full, budget())
    assert finding.status == "fail" and "below the reserve" in finding.detail, finding


# --- camera ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "status", "words"), [
    (CameraSpec(CLIP, 10, (1280, 720)), "pass", "10 fps by the file's container (not measured"),
    (CameraSpec(CLIP, 25, (1280, 720)), "fail", "the rates differ"),
    (CameraSpec(CLIP, 10, (1920, 1080)), "fail", "frames are 1280×720, but the site file says 1920×1080"),
    (CameraSpec(str(DEMO / "missing.mp4"), 10, (1280, 720)), "fail", "does not exist"),
    (CameraSpec(str(DEMO / "sprites"), 10, (1280, 720)), "fail", "frames are"),
], ids=["clip as calibrated", "clip at another rate", "clip at another size", "no such file", "image folder"])
def test_the_camera_check_on_files(spec: CameraSpec, status: str, words: str) -> None:
    finding = check_camera(spec, budget())
    assert finding.status == status and words in finding.detail, finding


@pytest.mark.parametrize(("fps", "status"), [(10.0, "pass"), (25.0, "fail")])
def test_a_live_camera_is_measured(live_camera: LiveCamera, fps: float, status: str) -> None:
    finding = check_camera(CameraSpec(live_camera.url, fps, live_camera.size), budget())
    assert finding.status == status and "fps measured over" in finding.detail, finding
    assert "secret" not in finding.detail and "tech:***@127.0.0.1" in finding.detail


# --- models ---------------------------------------------------------------------------------------

def test_the_known_frame_is_the_demo_ground_truth() -> None:
    truth = json.loads((DEMO / "ground_truth.json").read_text())
    boxes = {v["id"]: v for v in truth["vehicles"]}
    car = boxes["v1"]
    assert DEMO_FRAME.clip == DEMO / "clip.mp4"
    assert [DEMO_FRAME.index, *DEMO_FRAME.vehicle] in car["boxes"]
    assert (car["class"], car["plate"]["formatted"]) == (DEMO_FRAME.vehicle_class, DEMO_FRAME.plate)
    assert dict(map(tuple, car["visible"]))[DEMO_FRAME.index] == 1.0


def test_plates_off_is_a_skip_that_says_so() -> None:
    finding = check_plates(PlateConfig(enabled=False), DEMO_FRAME, budget())
    assert finding.status == "skip" and "evidence.plates.enabled" in finding.detail


def test_a_local_check_is_waited_for_and_fails_when_over_the_limit() -> None:
    """Model checks are never abandoned on a thread (ONNX Runtime would abort the process at exit)."""

    def slow(_budget: Budget) -> Finding:
        time.sleep(0.4)
        return Finding("pass", "found the car")

    check = run_bounded(Probe("detector", "detector x.onnx", slow, local=True), 0.1)
    assert check.status == "fail" and check.seconds >= 0.4
    assert check.detail.startswith("detector x.onnx: answered in 0.4 s, over the limit of 0.1 s")
    assert run_bounded(Probe("detector", "detector x.onnx", slow, local=True), 5).status == "pass"
