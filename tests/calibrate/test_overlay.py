"""`etle-edge overlay`: the calibration drawn over a frame, for review and change tickets."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from edge.cli import main

STOP_LINE_MIDDLE = (562, 513)  # demo stop line from (161.8, 515.3) to (962.1, 510.8)
LANE_2_LEFT_EDGE = (469, 443)  # on the line (631.0, 163.5)-(307.4, 719.0)


def read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_overlay_draws_the_geometry_and_grid(
    demo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "overlay.png"
    assert main(["overlay", "--site", str(demo_copy), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    drawn = read(out)
    capture = cv2.VideoCapture(str(demo_copy.parent / "clip.mp4"))
    ok, bare = capture.read()
    capture.release()
    assert ok and drawn.shape == bare.shape == (720, 1280, 3)
    x, y = STOP_LINE_MIDDLE
    assert drawn[y - 1 : y + 2, x, 2].max() > 200 and drawn[y, x, 0] < 80  # red stop line
    lx, ly = LANE_2_LEFT_EDGE
    assert [255, 200, 0] in drawn[ly - 1 : ly + 2, lx - 1 : lx + 2].reshape(-1, 3).tolist()  # lane outline, BGR
    grid_green = (drawn[:, :, 1].astype(int) - bare[:, :, 1].astype(int) > 30) & (drawn[:, :, 2] < 160)
    assert grid_green[560:720].sum() > 2000  # the metric grid over the near road


def test_overlay_lists_problems_and_exits_1(
    demo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(demo_copy.read_text())
    data["calibration"]["stop_lines"][0]["signal"] = "sig-9"
    demo_copy.write_text(yaml.safe_dump(data))
    out = tmp_path / "overlay.png"
    assert main(["overlay", "--site", str(demo_copy), "--out", str(out)]) == 1
    expected = f"{demo_copy}: calibration.stop_lines.0 (stop-1).signal: unknown signal id 'sig-9'"
    assert expected in capsys.readouterr().out.splitlines()
    assert read(out)[715, 1275].tolist() == [0, 0, 0]  # the problem list's black band at the bottom


def test_overlay_needs_a_frame(demo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["overlay", "--site", str(demo_copy), "--source", str(tmp_path / "gone.mp4"), "--out",
                 str(tmp_path / "o.png")])
    assert code == 2
    assert "no frame to draw on: source" in capsys.readouterr().err
