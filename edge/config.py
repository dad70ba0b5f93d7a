"""Pydantic models of the site file (one per intersection camera) and of the device settings.

Parsed once at the edge of the program; validators here are pure (no I/O). Geometric checks
that need more than one field at a time live in `edge.calibrate.checks` and run after parsing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from edge.calibrate.checks import check_site
from edge.errors import SiteFileError

Point = tuple[float, float]
Box = tuple[float, float, float, float]
VehicleClass = Literal["car", "motorcycle", "bus", "truck", "bicycle", "person"]
_DEFAULT_ALLOWED: tuple[VehicleClass, ...] = ("car", "motorcycle", "bus", "truck", "bicycle")
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]

DEFAULT_ARTICLES: dict[str, str] = {
    "red_light": "UU 22/2009 Pasal 287 ayat (2)",
    "stop_line": "UU 22/2009 Pasal 287 ayat (1)",
    "solid_line_crossing": "UU 22/2009 Pasal 287 ayat (1)",
    "wrong_way": "UU 22/2009 Pasal 287 ayat (1)",
    "restricted_lane": "UU 22/2009 Pasal 287 ayat (1)",
    "speeding": "UU 22/2009 Pasal 287 ayat (5)",
    "odd_even": "UU 22/2009 Pasal 287 ayat (1)",
    "illegal_stop": "UU 22/2009 Pasal 287 ayat (3)",
}
ViolationKind = Literal[
    "red_light", "stop_line", "solid_line_crossing", "wrong_way",
    "restricted_lane", "speeding", "odd_even", "illegal_stop",
]


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(Strict):
    lat: float = Field(ge=-90, le=90, title="Latitude", description="WGS84 degrees.")
    lon: float = Field(ge=-180, le=180, title="Longitude", description="WGS84 degrees.")


class SiteInfo(Strict):
    id: Identifier = Field(title="Site id", description="Stable id, used in MQTT topics.")
    name: str = Field(min_length=1, title="Name", description="Human-readable place name.")
    timezone: str = Field(
        default="Asia/Jakarta", title="Time zone",
        description="IANA zone of the site (Asia/Jakarta, Asia/Makassar, Asia/Jayapura).",
    )
    location: Location = Field(title="Location", description="Where the camera stands.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value


class CameraInfo(Strict):
    id: Identifier = Field(title="Camera id", description="Stable id, used in MQTT topics.")
    source: str = Field(
        title="Source",
        description="Video file or image folder (relative to the site file) or an OpenCV URL "
        "(rtsp://, http://).",
    )
    fps: float = Field(gt=0, le=120, title="Frame rate", description="Frames per second.")
    resolution: tuple[int, int] = Field(
        title="Resolution", description="[width, height] in pixels; all geometry is in this frame."
    )
    start_time: datetime | None = Field(
        default=None, title="Clip start time",
        description="Capture time of frame 0 of a recorded clip (RFC 3339 with offset). "
        "Live sources use the wall clock at capture.",
    )

    @field_validator("resolution")
    @classmethod
    def _positive(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] <= 0 or value[1] <= 0:
            raise ValueError("width and height must be positive")
        return value

    @field_validator("start_time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("needs a UTC offset, e.g. 2026-01-15T07:30:00+07:00")
        return value


class Homography(Strict):
    image_points: list[Point] = Field(
        min_length=4, title="Image points", description="Ground points in the image, pixels."
    )
    world_points_m: list[Point] = Field(
        min_length=4, title="World points", description="The same points on the ground plane, m."
    )


class Lane(Strict):
    id: Identifier = Field(title="Lane id")
    polygon: list[Point] = Field(
        min_length=3, title="Polygon", description="The lane's area on the ground, pixels."
    )
    direction: tuple[Point, Point] = Field(
        title="Legal direction", description="Arrow [from, to] in pixels along legal travel."
    )
    speed_limit_kmh: float | None = Field(
        default=None, gt=0, le=200, title="Speed limit", description="km/h; null: no limit here."
    )
    allowed_classes: list[VehicleClass] = Field(
        default_factory=lambda: list(_DEFAULT_ALLOWED),
        title="Allowed classes", description="Vehicle classes allowed in this lane at any time.",
    )


class StopLine(Strict):
    id: Identifier = Field(title="Stop line id")
    line: tuple[Point, Point] = Field(title="Line", description="[start, end] in pixels.")
    lanes: list[Identifier] = Field(
        min_length=1, title="Lanes", description="Ids of the lanes this stop line controls."
    )
    signal: Identifier = Field(title="Signal", description="Id of the signal governing it.")


class SolidLine(Strict):
    id: Identifier = Field(title="Solid line id")
    line: list[Point] = Field(
        min_length=2, title="Polyline", description="Marka utuh, pixels, at least 2 points."
    )


class LampRois(Strict):
    red: Box = Field(title="Red lamp", description="[x1, y1, x2, y2] pixels.")
    amber: Box = Field(title="Amber lamp", description="[x1, y1, x2, y2] pixels.")
    green: Box = Field(title="Green lamp", description="[x1, y1, x2, y2] pixels.")


class Signal(Strict):
    id: Identifier = Field(title="Signal id")
    source: Literal["vision", "controller"] = Field(
        default="vision", title="Source",
        description="vision: read the lamps in the image; controller: phases over MQTT.",
    )
    roi: LampRois | None = Field(
        default=None, title="Lamp regions", description="Required when source is vision."
    )


class Zone(Strict):
    id: Identifier = Field(title="Zone id")
    kind: Literal["no_stopping"] = Field(title="Kind")
    polygon: list[Point] = Field(min_length=3, title="Polygon", description="Pixels.")
    max_dwell_s: float = Field(gt=0, title="Max dwell", description="Seconds allowed inside.")


class Restriction(Strict):
    id: Identifier = Field(title="Restriction id")
    kind: Literal["busway", "odd_even", "class_ban"] = Field(title="Kind")
    lanes: list[Identifier] = Field(min_length=1, title="Lanes")
    allowed_classes: list[VehicleClass] = Field(default_factory=list, title="Allowed classes")
    windows: list[str] = Field(
        default_factory=list, title="Time windows",
        description='e.g. "Mon-Fri 06:00-10:00", in the site time zone; empty: always.',
    )


class Calibration(Strict):
    version: int = Field(ge=1, title="Version", description="Bumped on every change.")
    homography: Homography | None = Field(default=None, title="Ground-plane homography")
    lanes: list[Lane] = Field(min_length=1, title="Lanes")
    stop_lines: list[StopLine] = Field(default_factory=list, title="Stop lines")
    solid_lines: list[SolidLine] = Field(default_factory=list, title="Solid lines")
    signals: list[Signal] = Field(default_factory=list, title="Signals")
    zones: list[Zone] = Field(default_factory=list, title="Zones")
    restrictions: list[Restriction] = Field(default_factory=list, title="Restrictions")


class SiteFile(Strict):
    """One camera at one intersection: where it is, what it sees, and the calibrated geometry."""

    site: SiteInfo
    camera: CameraInfo
    calibration: Calibration
    articles: dict[ViolationKind, str] = Field(
        default_factory=dict, title="Articles of law",
        description="Overrides of the default UU 22/2009 article per violation kind.",
    )

    def article(self, kind: ViolationKind) -> str:
        return self.articles.get(kind, DEFAULT_ARTICLES[kind])


class LoadedSite(BaseModel):
    """A parsed site file plus what only the loader knows: where it lives and its exact bytes' hash."""

    model_config = ConfigDict(frozen=True)

    path: Path
    sha256: str
    site: SiteFile

    def resolve_source(self, source: str | None = None) -> str:
        """A relative source path is relative to the site file; URLs pass through."""
        raw = source if source is not None else self.site.camera.source
        if "://" in raw:
            return raw
        candidate = Path(raw)
        if source is None and not candidate.is_absolute():
            candidate = self.path.parent / candidate
        return str(candidate)


def _format_validation_error(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        problems.append(f"{where}: {err['msg']}")
    return problems


def load_site(path: str | Path) -> LoadedSite:
    """Read, parse and validate a site file; raise `SiteFileError` naming every bad field."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SiteFileError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise SiteFileError(str(path), [f"not valid YAML: {exc}"]) from exc
    if not isinstance(data, dict):
        raise SiteFileError(str(path), ["(top level): expected a mapping of site, camera, ..."])
    try:
        site = SiteFile.model_validate(data)
    except ValidationError as exc:
        raise SiteFileError(str(path), _format_validation_error(exc)) from exc
    problems = check_site(site)
    if problems:
        raise SiteFileError(str(path), problems)
    return LoadedSite(path=path, sha256=hashlib.sha256(raw).hexdigest(), site=site)
