"""The calibration tool's HTTP API, in process (TestClient) and as the real command."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from edge.calibrate.app import ToolOptions, create_app
from edge.calibrate.commands import new_site_template
from edge.calibrate.frames import StillSource
from edge.calibrate.schema import site_schema
from edge.config.load import load_site
from tests.calibrate.conftest import running_tool


def client_for(site: Path, token: str | None = None, loopback: bool = True, template: Any = None) -> TestClient:
    stills = StillSource(str(site.parent / "clip.mp4"), 10, (1280, 720))
    app = create_app(ToolOptions(site, stills, template or {}, token, loopback))
    return TestClient(app, base_url="http://127.0.0.1")


def decode(encoded: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(encoded, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return np.asarray(image)


@pytest.fixture
def client(demo_copy: Path) -> Iterator[TestClient]:
    with client_for(demo_copy) as c:
        yield c


def test_site_schema_and_still(client: TestClient, demo_copy: Path) -> None:
    site = client.get("/api/site").json()
    assert site["sha256"] == hashlib.sha256(demo_copy.read_bytes()).hexdigest()
    assert site["problems"] == [] and site["exists"] is True
    assert site["ground"]["rms_px"] < 1 and len(site["ground"]["grid"]) > 10
    assert client.get("/api/schema").json() == site_schema()
    info = client.get("/api/still").json()
    assert (info["width"], info["height"], info["error"], info["warning"]) == (1280, 720, None, None)
    jpeg = client.get(info["url"])
    assert jpeg.headers["content-type"] == "image/jpeg"
    assert decode(jpeg.content).shape == (720, 1280, 3)
    assert client.post("/api/still/next", json={}).json()["label"] == "clip.mp4 frame 20"  # 2 s on, at 10 fps


def test_check_reports_each_problem_with_its_path(client: TestClient) -> None:
    data = client.get("/api/site").json()["data"]
    data["calibration"]["lanes"][0]["polygon"] = [[560, 300], [650, 700], [630, 300], [400, 700]]
    data["calibration"]["homography"]["world_points_m"][5] = [None, None]
    reply = client.post("/api/check", json={"data": data}).json()
    fields = {(p["field"], p["reason"].split(":")[0]) for p in reply["problems"]}
    assert ("calibration.lanes.0 (lane-1).polygon", "not a simple polygon") in fields
    assert ("calibration.homography.world_points_m.5.0", "Input should be a valid number") in fields
    assert reply["problems"][0]["loc"][:3] == ["calibration", "homography", "world_points_m"] or any(
        p["loc"] == ["calibration", "lanes", 0, "polygon"] for p in reply["problems"])
    assert reply["ground"] == {"error": "Input should be a valid number"}


def test_save_bumps_version_keeps_history_and_refuses_conflicts(client: TestClient, demo_copy: Path) -> None:
    original = demo_copy.read_bytes()
    site = client.get("/api/site").json()
    data = copy.deepcopy(site["data"])
    data["calibration"]["lanes"][0]["speed_limit_kmh"] = 40
    saved = client.post("/api/save", json={"data": data, "base_sha256": site["sha256"]}).json()
    assert saved["version"] == 2
    assert saved["sha256"] == hashlib.sha256(demo_copy.read_bytes()).hexdigest()
    assert saved["history"] == f"history/site.v1.{hashlib.sha256(original).hexdigest()[:12]}.yaml"
    assert (demo_copy.parent / saved["history"]).read_bytes() == original
    # the still on screen (the clip's frame 0) becomes version 2's reference frame for the view watch
    assert (saved["reference"], saved["reference_problem"]) == ("references/site.v2.jpg", None)
    still = StillSource(str(demo_copy.parent / "clip.mp4"), 10, (1280, 720)).next().image
    assert float(np.abs(decode((demo_copy.parent / saved["reference"]).read_bytes()).astype(int) - still).mean()) < 1.5
    loaded = load_site(demo_copy)
    assert loaded.site.calibration.version == 2 and loaded.site.calibration.lanes[0].speed_limit_kmh == 40

    stale = client.post("/api/save", json={"data": data, "base_sha256": site["sha256"]})
    assert stale.status_code == 409 and "changed on disk" in stale.json()["detail"]
    again = client.post("/api/save", json={"data": data, "base_sha256": saved["sha256"]}).json()
    assert again["version"] == 3  # whatever version the page sent, the file's + 1
    assert len(list((demo_copy.parent / "history").iterdir())) == 2


def test_save_without_a_camera_still_keeps_no_reference(demo_copy: Path) -> None:
    stills = StillSource(str(demo_copy.parent / "missing.mp4"), 10, (1280, 720))
    with TestClient(create_app(ToolOptions(demo_copy, stills, {})), base_url="http://127.0.0.1") as c:
        site = c.get("/api/site").json()
        saved = c.post("/api/save", json={"data": site["data"], "base_sha256": site["sha256"]}).json()
    assert saved["version"] == 2 and saved["reference"] is None
    assert saved["reference_problem"].startswith("no reference frame kept: there is no camera still (source ")
    assert not (demo_copy.parent / "references").exists()


def test_save_refuses_a_draft_with_problems(client: TestClient, demo_copy: Path) -> None:
    before = demo_copy.read_bytes()
    site = client.get("/api/site").json()
    data = site["data"]
    data["calibration"]["stop_lines"][0]["lanes"] = ["lane-9"]
    reply = client.post("/api/save", json={"data": data, "base_sha256": site["sha256"]})
    assert reply.status_code == 422
    assert reply.json()["problems"][0]["text"] == "calibration.stop_lines.0 (stop-1).lanes: unknown lane id 'lane-9'"
    assert demo_copy.read_bytes() == before
    assert not (demo_copy.parent / "history").exists()


def test_preview_is_the_overlay_drawing(client: TestClient) -> None:
    data = client.get("/api/site").json()["data"]
    png = client.post("/api/preview.png", json={"data": data})
    image = decode(png.content)
    assert png.headers["content-type"] == "image/png" and image.shape == (720, 1280, 3)
    x, y = 562, 513  # middle of the demo's stop line, drawn red (BGR 0, 0, 255)
    assert image[y - 1 : y + 2, x].max(axis=0)[2] > 200 and image[y, x][0] < 80
    assert client.post("/api/preview.png", json={"data": {"site": {}}}).status_code == 422


def test_new_site_file_starts_from_a_template(tmp_path: Path, demo_copy: Path) -> None:
    new = tmp_path / "simpang-lima.yaml"
    with client_for(new, template=new_site_template(new, "clip.mp4", (1280, 720))) as c:
        site = c.get("/api/site").json()
        assert site["exists"] is False and site["data"]["site"]["id"] == "simpang-lima"
        assert "calibration.lanes: List should have at least 1 item after validation, not 0" in [
            p["text"] for p in site["problems"]]
        data = site["data"]
        demo = load_site(demo_copy).site.model_dump(mode="json")["calibration"]
        data["calibration"].update(lanes=demo["lanes"], homography=demo["homography"])
        saved = c.post("/api/save", json={"data": data, "base_sha256": site["sha256"]}).json()
    assert saved["version"] == 1 and saved["history"] is None
    assert load_site(new).site.calibration.version == 1


def test_requests_must_be_json_and_for_this_host(client: TestClient, demo_copy: Path) -> None:
    assert client.post("/api/check", content=b'{"data": {}}', headers={"content-type": "text/plain"}).status_code == 415
    with client_for(demo_copy) as other:
        other.base_url = httpx.URL("http://attacker.example")
        assert other.get("/api/site").status_code == 400  # a rebound DNS name is not this tool


def test_token_when_listening_beyond_loopback(demo_copy: Path) -> None:
    with client_for(demo_copy, token="s3cret", loopback=False) as c:
        assert c.get("/api/site").status_code == 401
        assert c.get("/").status_code == 401
        assert c.get("/api/site", headers={"X-Calibrate-Token": "wrong"}).status_code == 401
        assert c.get("/api/site", headers={"X-Calibrate-Token": "s3cret"}).status_code == 200
        page = c.get("/?token=s3cret")
        assert page.status_code == 200 and "calibrate_token" in page.headers["set-cookie"]
        assert c.get("/static/main.js").status_code == 200  # the cookie carries it for the page's own files


def test_the_command_prints_a_token_off_loopback(demo_copy: Path) -> None:
    with running_tool(demo_copy, host="0.0.0.0") as tool:
        assert tool.token is not None and len(tool.token) >= 24
        assert any(tool.token in line for line in tool.output if line.startswith("listening on 0.0.0.0"))
        assert httpx.get(f"{tool.base}/api/site").status_code == 401
        assert httpx.get(f"{tool.base}/api/site", headers={"X-Calibrate-Token": tool.token}).status_code == 200
    with running_tool(demo_copy) as tool:
        assert tool.token is None and tool.url.endswith("/")
        assert httpx.get(f"{tool.base}/api/site").status_code == 200
