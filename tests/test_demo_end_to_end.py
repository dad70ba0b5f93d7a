"""The real pipeline on the real demo clip with the real model, judged against its ground truth."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from edge.cli import main
from edge.config.load import load_site
from edge.config.site import DEFAULT_ARTICLES
from edge.core import iou
from edge.detect.build import build_detector
from edge.detect.signal import VisionSignalReader
from edge.evidence.event import SCHEMA
from edge.ledger.signing import schema_errors
from edge.plates.indonesia import parse
from edge.settings import DeviceSettings
from edge.sources import open_source
from tests.conftest import DEMO

TRUTH: dict[str, Any] = json.loads((DEMO / "ground_truth.json").read_text())


# Every violation kind the demo scene scripts. The geometric ones must all be found; odd_even
# depends on reading the plate, and a plate that cannot be read is never judged, so its
# recall is measured (and printed) but only its precision is required.
GEOMETRIC_KINDS = ("red_light", "stop_line", "solid_line_crossing", "wrong_way", "restricted_lane", "speeding",
                   "illegal_stop")
PLATE_KINDS = ("odd_even",)
# The site feature a violation is about, as the event's details name it (else the lane).
FEATURE_KEYS = ("stop_line", "solid_line", "zone", "restriction")


def plate_number(text: str) -> str:
    plate = parse(text)
    assert plate is not None, text
    return plate.number


def expected_kinds(vehicle: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in vehicle["expected_violations"]]


RUNNERS = [v for v in TRUTH["vehicles"] if "red_light" in expected_kinds(v)]
SCRIPTED = [(v["id"], e) for v in TRUTH["vehicles"] for e in v["expected_violations"]]


def feature_of(event: dict[str, Any]) -> str:
    details = event["violation"]["details"]
    return next((str(details[k]) for k in FEATURE_KEYS if k in details), event["violation"]["lane"])


def truth_vehicle_at(frame: int, box: list[float]) -> dict[str, Any] | None:
    """The scripted vehicle whose rendered box best overlaps `box` at `frame`."""
    best, best_iou = None, 0.3
    for vehicle in TRUTH["vehicles"]:
        for f, *xyxy in vehicle["boxes"]:
            if f == frame and iou(xyxy, box) > best_iou:
                best, best_iou = vehicle, iou(xyxy, box)
    return best


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(evidence folder, key folder) of one signed run of the whole demo clip."""
    keys = tmp_path_factory.mktemp("keys") / "device"
    assert main(["keygen", "--out", str(keys)]) == 0
    out = tmp_path_factory.mktemp("evidence")
    assert main(["run", "--site", str(DEMO / "site.yaml"), "--evidence-dir", str(out), "--key-dir", str(keys),
                 "--no-publish", "--quiet"]) == 0
    return out, keys


@pytest.fixture(scope="module")
def demo_events(demo_run: tuple[Path, Path]) -> list[tuple[Path, dict[str, Any]]]:
    return [(p.parent, json.loads(p.read_text())) for p in sorted(demo_run[0].glob("*/event.json"))]


def test_the_scene_scripts_every_geometric_kind_with_compliant_counterparts() -> None:
    kinds = {e["kind"] for _, e in SCRIPTED}
    assert kinds == set(GEOMETRIC_KINDS) | set(PLATE_KINDS)
    assert sum(not set(expected_kinds(v)) & set(GEOMETRIC_KINDS) for v in TRUTH["vehicles"]) >= 5
    # odd_even's counterparts: odd plates on the (odd) 15th and an exempt bus in its lanes.
    restricted = [v for v in TRUTH["vehicles"] if v["lane"] in TRUTH["odd_even"]["lanes"]]
    numbers = {v["id"]: plate_number(v["plate"]["text"]) for v in restricted}
    assert TRUTH["odd_even"]["date"].endswith("-15")
    assert sum(int(numbers[v["id"]][-1]) % 2 == 1 and v["class"] == "car" for v in restricted) >= 3
    assert any(v["class"] == "bus" for v in restricted)
    assert {v["id"] for v in RUNNERS} == {"v4", "v6"}


def judge(events: list[dict[str, Any]]) -> tuple[list[tuple[str, dict[str, Any], dict[str, Any]]], list[str]]:
    """Match events to scripted violations: same vehicle (box IoU at the event's frame), kind and
    feature, inside the scripted frame window. Returns (matches, reasons for unmatched events).

    A red_light event is emitted where the vehicle enters the junction (red means proceeding);
    its act began at the stop-line crossing, the frame the scene scripts."""
    matched: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    unmatched = []
    for event in events:
        frame, kind = event["violation"]["frame_index"], event["violation"]["type"]
        vehicle = truth_vehicle_at(frame, event["vehicle"]["box"])
        where = f"{kind} at frame {frame} ({feature_of(event)}, {event['vehicle']})"
        if vehicle is None:
            unmatched.append(f"{where}: matches no scripted vehicle")
            continue
        act = event["violation"]["details"].get("stop_line_crossed_frame", frame) if kind == "red_light" else frame
        hits = [e for e in vehicle["expected_violations"]
                if e["kind"] == kind and e["feature"] == feature_of(event)
                and e["window"][0] <= act <= e["window"][1]]
        if not hits:
            unmatched.append(f"{where}: {vehicle['id']} ({vehicle['behaviour']}) scripts no such violation")
            continue
        matched.append((vehicle["id"], hits[0], event))
    return matched, unmatched


def test_every_scripted_violation_is_found_once_and_nothing_else(
    demo_events: list[tuple[Path, dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    events = [e for _, e in demo_events]
    matched, unmatched = judge(events)
    found = [(vid, e["kind"], e["feature"]) for vid, e, _ in matched]
    scripted = [(vid, e["kind"], e["feature"]) for vid, e in SCRIPTED]
    with capsys.disabled():  # the per-rule figures the issue asks for
        print("\nper rule on the demo clip: scripted / reported / true positives -> precision, recall")
        for kind in GEOMETRIC_KINDS + PLATE_KINDS:
            n_true = sum(k == kind for _, k, _ in scripted)
            n_reported = sum(e["violation"]["type"] == kind for e in events)
            tp = len({f for f in found if f[1] == kind})
            precision = tp / n_reported if n_reported else 1.0
            print(f"  {kind:20s} {n_true} / {n_reported} / {tp} -> {precision:.2f}, {tp / n_true:.2f}")
    assert unmatched == []  # precision 1 for every kind: nothing reported that the scene does not script
    assert len(found) == len(set(found))  # nothing twice
    geometric = sorted(f for f in found if f[1] in GEOMETRIC_KINDS)
    assert geometric == sorted(f for f in scripted if f[1] in GEOMETRIC_KINDS)  # each exactly once
    assert any(kind in PLATE_KINDS for _, kind, _ in found)  # the readable even plate (v1) at least
    for vid, expected, event in matched:
        assert event["violation"]["lane"] == expected["lane"], (vid, expected["kind"])
        vehicle = next(v for v in TRUTH["vehicles"] if v["id"] == vid)
        assert event["vehicle"]["class"] == vehicle["class"], (vid, expected["kind"])
        if expected["kind"] == "red_light":
            details = event["violation"]["details"]
            assert abs(details["stop_line_crossed_frame"] - vehicle["stop_line_cross_frame"]) <= 2
            assert event["violation"]["frame_index"] > details["stop_line_crossed_frame"]  # then into the junction
        if expected["kind"] == "odd_even":  # judged on the right plate, not a misread of the same parity
            assert event["plate"]["text"] == vehicle["plate"]["text"]
            assert event["violation"]["details"]["plate_number"] == expected["plate_number"]


def test_measured_speed_is_the_scripted_speed(
    demo_events: list[tuple[Path, dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    matched, _ = judge([e for _, e in demo_events])
    speeds = [(vid, e["speed_kmh"], event["violation"]["details"]) for vid, e, event in matched
              if e["kind"] == "speeding"]
    assert speeds
    for vid, scripted, details in speeds:
        with capsys.disabled():
            print(f"\n{vid}: measured {details['speed_kmh']} ± {details['uncertainty_kmh']} km/h, "
                  f"scripted {scripted} km/h, limit {details['limit_kmh']}")
        assert abs(details["speed_kmh"] - scripted) <= 0.05 * scripted
        assert details["limit_kmh"] == TRUTH["speed_limit_kmh"]


def test_events_carry_the_contract_fields(demo_events: list[tuple[Path, dict[str, Any]]]) -> None:
    site = load_site(DEMO / "site.yaml")
    for _, event in demo_events:
        assert event["schema"] == SCHEMA
        assert event["site"]["id"] == site.site.site.id and event["camera_id"] == site.site.camera.id
        assert event["calibration"] == {"version": site.site.calibration.version, "sha256": site.sha256}
        assert event["violation"]["article"] == DEFAULT_ARTICLES[event["violation"]["type"]]
        assert datetime.fromisoformat(event["violation"]["detected_at"]).utcoffset() == timedelta(hours=7)
        if event["violation"]["type"] == "red_light":
            assert event["violation"]["details"]["time_into_red_s"] > 0
        assert event["plate"] is not None or event["plate_unreadable"]["reason"]
        assert {m["role"] for m in event["media"]} >= {"overview_before", "overview_at", "vehicle_closeup"}


def test_red_light_runners_carry_their_plates(demo_events: list[tuple[Path, dict[str, Any]]]) -> None:
    """Each runner's event has its scripted plate, read by voting over the frames around the act,
    and the OCR ran only for the violators: at most `frames` reads per violation."""
    reads, runners = 0, set()
    for _, event in demo_events:
        if event["violation"]["type"] != "red_light":
            continue
        vehicle = truth_vehicle_at(event["violation"]["frame_index"], event["vehicle"]["box"])
        assert vehicle is not None and vehicle["plate"] is not None
        runners.add(vehicle["id"])
        plate = event["plate"]
        assert plate is not None, event.get("plate_unreadable")
        assert (plate["text"], plate["formatted"]) == (vehicle["plate"]["text"], vehicle["plate"]["formatted"])
        assert plate["format_valid"] and plate["region"] == "B" and plate["province"] == "DKI Jakarta"
        assert plate["colour"] == vehicle["plate"]["colour"]
        assert plate["votes"] >= 2 and plate["confidence"] >= 0.5
        assert "plate" in {m["role"] for m in event["media"]}
        assert 1 <= plate["ocr_calls"] <= 5
        reads += plate["ocr_calls"]
    assert runners == {v["id"] for v in RUNNERS}  # every runner checked: no pass on zero events
    assert reads <= 5 * len(RUNNERS)


def test_media_hashes_match_the_files(demo_events: list[tuple[Path, dict[str, Any]]]) -> None:
    assert demo_events
    for folder, event in demo_events:
        bound = event["media"] + event.get("withheld", [])  # withheld originals stay in the box's folder
        expected = [m["name"] for m in bound] + ["event.json", "event.jws"]
        assert sorted(p.name for p in folder.iterdir()) == sorted(expected)
        for item in bound:
            data = (folder / item["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == item["sha256"] and len(data) == item["bytes"]


def test_demo_evidence_verifies_and_a_tampered_copy_does_not(
    demo_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evidence, keys = demo_run
    pubkey = str(keys / "public.jwk.json")
    assert main(["verify", str(evidence), "--pubkey", pubkey]) == 0
    assert f"{len(list(evidence.glob('*/event.json')))} record(s) checked: all valid" in capsys.readouterr().out
    copy = tmp_path / "copy"
    shutil.copytree(evidence, copy)
    victim = sorted(copy.glob("*/overview_at.jpg"))[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    assert main(["verify", str(copy), "--pubkey", pubkey]) == 1
    assert f"{victim.parent.name}: media_sha256: overview_at.jpg" in capsys.readouterr().out


def test_signed_events_follow_the_schema_and_chain(demo_events: list[tuple[Path, dict[str, Any]]]) -> None:
    events = sorted((e for _, e in demo_events), key=lambda e: e["device"]["seq"])
    assert [e["device"]["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["prev_hash"] == "sha256:" + "0" * 64
    for event in events:
        assert schema_errors(event) == []


def test_signal_reading_follows_the_scripted_phases() -> None:
    site = load_site(DEMO / "site.yaml")
    cam = site.site.camera
    settings = DeviceSettings()
    lag = settings.signal_vision.debounce_frames
    phases = TRUTH["signal"]
    starts = {p["start_frame"] for p in phases}
    truth = {f: p["state"] for p in phases for f in range(p["start_frame"], p["end_frame"] + 1)}
    source = open_source(site.resolve_source(), cam.fps, cam.start_time)
    reader: VisionSignalReader | None = None
    mismatches = []
    for frame in source.frames():
        reader = reader or VisionSignalReader(site.site.calibration.signals, settings.signal_vision, frame.captured_at)
        state = reader.read(frame.image, frame.captured_at)[phases[0]["signal"]]
        settling = any(0 <= frame.index - s < lag for s in starts)
        if not settling and state.state != truth[frame.index]:
            mismatches.append((frame.index, state.state, truth[frame.index]))
        if not settling and state.state != "unknown":
            # The phase is dated from its first frame, not from when the debouncer was sure.
            phase_start = max(s for s in starts if s <= frame.index)
            assert state.since == cam.start_time + timedelta(seconds=phase_start / cam.fps)  # type: ignore[operator]
    assert mismatches == []


def test_console_script_runs_unsigned_and_says_so(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "edge.cli", "run", "--evidence-dir", str(tmp_path), "--max-frames", "5", "--quiet"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "5 frames" in done.stdout and "0 violation(s)" in done.stdout
    assert "UNSIGNED" in done.stdout


def test_unusable_key_is_named_and_the_box_still_records(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "edge.cli", "run", "--key-dir", str(tmp_path / "nokeys"), "--evidence-dir",
         str(tmp_path / "ev"), "--max-frames", "3", "--quiet"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "signing disabled" in done.stdout and "device.key.pem" in done.stdout


def test_missing_source_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--source", str(tmp_path / "gone.mp4"), "--quiet"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_detections_cover_every_scripted_vehicle() -> None:
    """Each vehicle is tracked: its rendered box is matched by a detection on most frames."""
    site = load_site(DEMO / "site.yaml")
    cam = site.site.camera
    detector = build_detector(DeviceSettings().resolved().detector)
    boxes = {f.index: detector.detect(f.image).xyxy
             for f in open_source(site.resolve_source(), cam.fps, cam.start_time).frames() if f.index % 5 == 0}
    for vehicle in TRUTH["vehicles"]:
        hits = total = 0
        visible = dict(vehicle["visible"])  # fraction of the sprite inside the frame
        for f, *box in vehicle["boxes"]:
            if f in boxes and box[2] - box[0] >= 60 and visible[f] >= 0.6:
                total += 1
                hits += any(iou([float(v) for v in d], box) > 0.5 for d in boxes[f])
        assert total == 0 or hits / total >= 0.8, f"{vehicle['id']}: detected on {hits}/{total} frames"


def test_a_faulty_site_file_runs_fail_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad geometry (here a stop line naming a lane that does not exist): the box still runs and
    says why loudly, but issues no violation; a file that does not parse is refused outright."""
    original = (DEMO / "site.yaml").read_text()
    text = original.replace("lanes: [lane-1, lane-2, lane-3]", "lanes: [lane-1, lane-9]", 1)
    assert text != original, "the demo's stop line changed: update this test's edit"
    faulty = tmp_path / "site.yaml"
    faulty.write_text(text)
    (tmp_path / "clip.mp4").symlink_to(DEMO / "clip.mp4")
    out = tmp_path / "evidence"
    assert main(["run", "--site", str(faulty), "--evidence-dir", str(out), "--no-publish", "--quiet"]) == 1
    printed = capsys.readouterr().out
    assert "FAIL-SAFE" in printed and "unknown lane id 'lane-9'" in printed and "0 violation(s)" in printed
    assert not out.exists() or not any(out.iterdir())
    faulty.write_text("site: [not, a, site]")
    assert main(["run", "--site", str(faulty), "--no-publish", "--quiet"]) == 2
