"""The calibration web tool: a small FastAPI app serving one page and a JSON API.

The page (``static/``) edits the site file's data as JSON and asks the server, on every
change, what is wrong with it (`/api/check`: the same checks as `etle-edge check-site`) and
what the ground plane looks like (reprojection error and the metric grid, fitted with
OpenCV). Only `/api/save` writes, and only a draft without problems.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.middleware.base import RequestResponseEndpoint

from edge.calibrate.frames import Still, StillSource
from edge.calibrate.review import review_image
from edge.calibrate.schema import site_schema
from edge.calibrate.store import SaveConflict, SaveRefused, SiteDocument, read_document, save_site
from edge.config.checks import MAX_REPROJECTION_RMS_PX, Problem
from edge.config.load import parse_site
from edge.config.site import Homography
from edge.errors import EtleError
from edge.tamper.reference import ReferenceFrameError, save_reference
from edge.webguard import Guard

STATIC = Path(__file__).resolve().parent / "static"
TOKEN_HEADER = "x-calibrate-token"
TOKEN_COOKIE = "calibrate_token"


class Draft(BaseModel):
    """What the page sends: the whole site file as JSON (valid or not)."""

    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any] = Field(description="The site file's content as JSON.")


class SaveRequest(Draft):
    base_sha256: str = Field(description="sha256 of the file the draft started from (conflict check).")


@dataclass(frozen=True, slots=True)
class ToolOptions:
    """How the tool was started: which file, where stills come from, and the access token."""

    site_path: Path
    stills: StillSource
    template: dict[str, Any]
    token: str | None = None
    loopback: bool = True


class Session:
    """The file being edited and the current still; one technician, so one lock is enough."""

    def __init__(self, options: ToolOptions) -> None:
        self.options = options
        self._lock = threading.Lock()
        self.still: Still = options.stills.next()
        self.still_serial = 0

    def document(self) -> SiteDocument:
        return read_document(self.options.site_path, self.options.template)

    def next_still(self) -> Still:
        with self._lock:
            self.still = self.options.stills.next()
            self.still_serial += 1
            return self.still

    def save(self, request: SaveRequest) -> dict[str, Any]:
        with self._lock:
            saved = save_site(self.options.site_path, request.data, request.base_sha256)
            reference, problem = self._keep_reference(saved.version, _resolution(request.data))
        folder = self.options.site_path.parent
        return {"sha256": saved.sha256, "version": saved.version,
                "history": str(saved.history.relative_to(folder)) if saved.history else None,
                "reference": str(reference.relative_to(folder)) if reference else None, "reference_problem": problem}

    def _keep_reference(self, version: int, resolution: tuple[int, int] | None) -> tuple[Path | None, str | None]:
        """The still on screen becomes the version's reference frame, which the box's view watch
        compares the live view with; a still that is not the camera's view is not kept."""
        still = self.still
        if still.error is not None:
            return None, f"no reference frame kept: there is no camera still ({still.error})"
        if resolution is not None and still.size != resolution:
            return None, (f"no reference frame kept: the still is {still.size[0]}x{still.size[1]}, "
                          f"camera.resolution {resolution[0]}x{resolution[1]}")
        try:
            return save_reference(still.image, self.options.site_path, version), None
        except ReferenceFrameError as exc:
            return None, f"no reference frame kept: {exc}"


def problem_json(problem: Problem) -> dict[str, Any]:
    return {"loc": list(problem.loc), "field": problem.field, "reason": problem.reason, "text": str(problem)}


def ground_json(data: dict[str, Any], image_size: tuple[int, int]) -> dict[str, Any] | None:
    """Reprojection error and metric grid of the draft's ground points, even while the rest is invalid."""
    raw = data.get("calibration", {}).get("homography") if isinstance(data.get("calibration"), dict) else None
    if raw is None:
        return None
    try:
        plane = Homography.model_validate(raw).plane()
    except (ValidationError, ValueError) as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        return {"error": reason}
    return {
        "rms_px": plane.rms_px,
        "residuals_px": plane.residuals_px.tolist(),
        "max_rms_px": MAX_REPROJECTION_RMS_PX,
        "points": len(plane.residuals_px),
        "grid": plane.grid(image_size).round(1).tolist(),
        "image_to_world": plane.image_to_world.tolist(),
    }


def still_json(session: Session) -> dict[str, Any]:
    still = session.still
    width, height = still.size
    expected = _resolution(session.document().data)
    warning = None
    if expected is not None and expected != (width, height):
        warning = (f"the source gives {width}x{height} frames but camera.resolution is "
                   f"{expected[0]}x{expected[1]}: the geometry is in the wrong frame size")
    return {"url": f"/api/still.jpg?n={session.still_serial}", "label": still.label, "width": width,
            "height": height, "error": still.error, "warning": warning}


def _resolution(data: object) -> tuple[int, int] | None:
    camera = data.get("camera") if isinstance(data, dict) else None
    res = camera.get("resolution") if isinstance(camera, dict) else None
    if isinstance(res, list) and len(res) == 2 and all(isinstance(v, int) for v in res):
        return res[0], res[1]
    return None


def create_app(options: ToolOptions) -> FastAPI:
    """The app; `options.token` set means every request must carry it (header, ?token= or cookie)."""
    session = Session(options)
    app = FastAPI(title="etle-edge calibration", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def json_posts_only(request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.method == "POST" and request.headers.get("content-type", "").split(";")[0] != "application/json":
            # JSON only: a cross-site form post cannot send it without the browser asking first.
            return JSONResponse({"detail": "send application/json"}, status_code=415)
        return await call_next(request)

    # Added last, so it runs first: no token, no further look at the request.
    Guard(options.token, options.loopback, TOKEN_HEADER, TOKEN_COOKIE,
          "open the address etle-edge calibrate printed at start (it ends in ?token=...)").install(app)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    app.include_router(_site_routes(session, options))
    app.include_router(_still_routes(session))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _site_routes(session: Session, options: ToolOptions) -> APIRouter:
    """The site file: its form schema, the draft, its checks, and saving it."""
    router = APIRouter()

    @router.get("/api/schema")
    def schema() -> dict[str, Any]:
        return site_schema()

    @router.get("/api/site")
    def site() -> dict[str, Any]:
        doc = session.document()
        data = doc.data if isinstance(doc.data, dict) else {}
        return {"data": data, "sha256": doc.sha256, "exists": doc.exists, "file": options.site_path.name,
                **_check(data)}

    def _check(data: dict[str, Any]) -> dict[str, Any]:
        _, problems = parse_site(data)
        return {"problems": [problem_json(p) for p in problems], "ground": ground_json(data, session.still.size)}

    @router.post("/api/check")
    def check(draft: Draft) -> dict[str, Any]:
        return _check(draft.data)

    @router.post("/api/save")
    def save(request: SaveRequest) -> Response:
        try:
            return JSONResponse(session.save(request))
        except SaveConflict as exc:
            return JSONResponse({"detail": str(exc)}, status_code=409)
        except SaveRefused as exc:
            return JSONResponse({"detail": str(exc), "problems": [problem_json(p) for p in exc.problems]},
                                status_code=422)
        except (EtleError, OSError) as exc:
            return JSONResponse({"detail": f"not saved: {exc}"}, status_code=500)
    return router


def _still_routes(session: Session) -> APIRouter:
    """The camera's still frame the technician draws on, and the preview of a draft over it."""
    router = APIRouter()

    @router.get("/api/still")
    def still_info() -> dict[str, Any]:
        return still_json(session)

    @router.post("/api/still/next")
    def still_next() -> dict[str, Any]:
        session.next_still()
        return still_json(session)

    @router.get("/api/still.jpg")
    def still_image() -> Response:
        ok, jpeg = cv2.imencode(".jpg", session.still.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        return Response(jpeg.tobytes() if ok else b"", media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    @router.post("/api/preview.png")
    def preview(draft: Draft) -> Response:
        site_model, problems = parse_site(draft.data)
        if site_model is None:
            raise HTTPException(422, detail=[problem_json(p) for p in problems])
        image = review_image(session.still.image, site_model, problems)
        ok, png = cv2.imencode(".png", np.ascontiguousarray(image))
        return Response(png.tobytes() if ok else b"", media_type="image/png")
    return router
