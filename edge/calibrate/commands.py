"""The `etle-edge calibrate` and `etle-edge overlay` subcommands.

`edge.cli` adds them with `add_calibrate_commands` and runs them through `CALIBRATE_COMMANDS`.
The web stack is imported only when `calibrate` runs, so `etle-edge run` starts without it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.calibrate.frames import StillSource
from edge.calibrate.store import read_document
from edge.config.load import parse_site
from edge.errors import EtleError, SiteFileError
from edge.webguard import is_loopback, new_token

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
DEFAULT_PORT = 8600
DEFAULT_SIZE = (1920, 1080)


def add_calibrate_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    calibrate = commands.add_parser("calibrate", help="open the calibration web page for a site file")
    calibrate.add_argument("--site", type=Path, required=True,
                           help="site file to edit (created on the first save if it does not exist)")
    calibrate.add_argument("--source", help="video file, image, image folder or camera URL for the still "
                           "(default: the site file's camera.source)")
    calibrate.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default 127.0.0.1; any other needs the printed token)")
    calibrate.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")

    overlay = commands.add_parser("overlay", help="draw a site file's geometry over a frame into a PNG")
    overlay.add_argument("--site", type=Path, required=True, help="site file")
    overlay.add_argument("--source", help="video file, image or URL (default: the site file's camera.source)")
    overlay.add_argument("--out", type=Path, required=True, help="PNG to write")


def _source_spec(site_path: Path, data: object, override: str | None) -> str | None:
    if override is not None:
        return override
    camera = data.get("camera") if isinstance(data, dict) else None
    raw = camera.get("source") if isinstance(camera, dict) else None
    if not isinstance(raw, str):
        return None
    return raw if "://" in raw or Path(raw).is_absolute() else str(site_path.parent / raw)


def _camera_numbers(data: object) -> tuple[float, tuple[int, int]]:
    camera = data.get("camera") if isinstance(data, dict) else None
    camera = camera if isinstance(camera, dict) else {}
    fps = camera.get("fps")
    res = camera.get("resolution")
    size = (int(res[0]), int(res[1])) if isinstance(res, list) and len(res) == 2 else DEFAULT_SIZE
    return (float(fps) if isinstance(fps, int | float) and fps > 0 else 10.0), size


def new_site_template(site_path: Path, source: str | None, size: tuple[int, int]) -> dict[str, Any]:
    """What a new site file starts as: invalid until lanes are drawn, which the page says."""
    site_id = re.sub(r"[^A-Za-z0-9_.-]", "-", site_path.stem).strip("-.") or "site"
    return {
        "site": {"id": site_id, "name": site_id, "timezone": "Asia/Jakarta", "location": {"lat": 0.0, "lon": 0.0}},
        "camera": {"id": "cam-01", "source": source or "", "fps": 10, "resolution": list(size)},
        "calibration": {"version": 1, "lanes": [], "stop_lines": [], "solid_lines": [], "signals": [],
                        "zones": [], "restrictions": []},
        "articles": {},
    }


def calibrate_command(args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 -- the web stack only loads for this command

    from edge.calibrate.app import ToolOptions, create_app  # noqa: PLC0415

    site_path: Path = args.site.resolve()
    doc = read_document(site_path, {})
    spec = _source_spec(site_path, doc.data, args.source)
    fps, size = _camera_numbers(doc.data)
    stills = StillSource(spec or "", fps, size)
    probe = StillSource(spec or "", fps, size)  # its own, so the page still opens on the first frame
    template = {} if doc.exists else new_site_template(site_path, args.source, probe.next().size)
    loopback = is_loopback(args.host)
    token = new_token(args.host)
    app = create_app(ToolOptions(site_path, stills, template, token, loopback))
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    query = f"?token={token}" if token else ""
    print(f"calibrating {site_path}{'' if doc.exists else ' (new file)'}", flush=True)
    print(f"open http://{shown}:{args.port}/{query}", flush=True)
    if token:
        print(f"listening on {args.host}: every request needs the token {token}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_OK


def overlay_command(args: argparse.Namespace) -> int:
    from edge.calibrate.review import review_image  # noqa: PLC0415 -- keeps evidence drawing off the cli import

    doc = read_document(args.site, {})
    if not doc.exists:
        raise SiteFileError(str(args.site), ["cannot read the file: no such file"])
    site, problems = parse_site(doc.data)
    if site is None:
        raise SiteFileError(str(args.site), [str(p) for p in problems])
    spec = _source_spec(args.site.resolve(), doc.data, args.source)
    still = StillSource(spec or "", site.camera.fps, site.camera.resolution).next()
    if still.error is not None:
        raise EtleError(f"no frame to draw on: {still.error}")
    if still.size != site.camera.resolution:
        print(f"warning: the source gives {still.size[0]}x{still.size[1]} frames, camera.resolution is "
              f"{site.camera.resolution[0]}x{site.camera.resolution[1]}; frame resized to it", file=sys.stderr)
    image = review_image(still.image, site, problems)
    if not cv2.imwrite(str(args.out), np.ascontiguousarray(image)):
        raise EtleError(f"cannot write {args.out} (folder missing, or not a .png name?)")
    for problem in problems:
        print(f"{args.site}: {problem}")
    print(f"wrote {args.out} ({still.label}, {len(problems)} problem(s))")
    return EXIT_PROBLEMS if problems else EXIT_OK


CALIBRATE_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "calibrate": calibrate_command,
    "overlay": overlay_command,
}
