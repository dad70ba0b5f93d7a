"""Reference frames: the still each calibration version was drawn on, kept beside its site file.

A site file ``calibration/x/simpang.yaml`` at calibration version 3 has its reference at
``calibration/x/references/simpang.v3.jpg``, next to ``history/`` where the calibration tool
keeps the earlier site files. The name follows the site file's stem (several site files may share
a folder) and the version (a technician recalibrating gets a new reference; the old ones stay, so
one can still see what the camera showed when an old version issued tickets). It is not written
into the site file: the reference is derived from the calibration session, and a path in the
file would change the file's sha256 that every event carries for no rule's sake.

JPEG at quality 95: the reference only has to match features and give a sharpness, and on the demo
clip the JPEG gives the same figures as the lossless frame (drift within 0.1 px, sharpness within
0.3 %) at a tenth of a PNG's size (190 kB at 1280×720).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.config.site import Calibration
from edge.errors import EtleError

REFERENCES_DIR = "references"
JPEG_QUALITY = 95


class ReferenceFrameError(EtleError):
    """A reference frame exists but cannot be read or written; the message says which file and what to do."""


def reference_path(site_path: Path, version: int) -> Path:
    """Where calibration `version` of the site file at `site_path` keeps its reference frame.

    >>> reference_path(Path("calibration/demo/site.yaml"), 1).as_posix()
    'calibration/demo/references/site.v1.jpg'
    """
    return site_path.parent / REFERENCES_DIR / f"{site_path.stem}.v{version}.jpg"


def save_reference(image: NDArray[np.uint8], site_path: Path, version: int) -> Path:
    """Write `image` (BGR, full resolution) as the reference of that version, atomically; its path."""
    path = reference_path(site_path, version)
    ok, encoded = cv2.imencode(".jpg", np.ascontiguousarray(image), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ReferenceFrameError(f"cannot encode the reference frame for {path} (an empty image?)")
    try:
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(encoded.tobytes())
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the box may run as another user than the tool
        os.replace(tmp, path)  # a reader sees the old file or the whole new one, never half
    except OSError as exc:
        raise ReferenceFrameError(f"cannot write the reference frame {path}: {exc}") from exc
    return path


def load_reference(site_path: Path, version: int) -> NDArray[np.uint8] | None:
    """The reference frame of that version (BGR), or None when none was saved with it."""
    path = reference_path(site_path, version)
    if not path.is_file():
        return None
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ReferenceFrameError(f"{path} is not a readable image: delete it and save the calibration again "
                                  "on the page to store a new one")
    return np.asarray(image, dtype=np.uint8)


def clip_still(clip: Path, index: int) -> NDArray[np.uint8]:
    """Frame `index` of a recorded clip, decoded from the start (seeking is not exact with every codec)."""
    capture = cv2.VideoCapture(str(clip))
    try:
        for _ in range(index + 1):
            ok, image = capture.read()
            if not ok:
                raise ReferenceFrameError(f"{clip} has no frame {index}")
        return np.asarray(image, dtype=np.uint8)
    finally:
        capture.release()


def anchor_points(calibration: Calibration) -> NDArray[np.float64]:
    """Where a moved view hurts: the stop lines' ends and the lanes' corners, (n, 2) frame pixels.

    Lanes' corners reach the far end of the approach and the frame's edges, so a rotation shows
    there first; the stop line is where a red-light charge is decided.
    """
    points = [point for stop in calibration.stop_lines for point in stop.line]
    points += [point for lane in calibration.lanes for point in lane.polygon]
    return np.array(points, dtype=np.float64).reshape(-1, 2)
