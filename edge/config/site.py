"""Pydantic models of the site file (one per intersection camera).

Parsed once at the edge of the program; validators here are pure (no I/O). Geometric checks
that need more than one field at a time live in `edge.config.checks` and run after parsing (`edge.config.load`).
The JSON Schema of `SiteFile` is committed as `calibration/site.schema.json`
(`python -m edge.calibrate.schema` rewrites it) and the calibration tool builds its forms
from it, so every field carries a title and a description. Custom schema keys: ``x-draw``
marks geometry the technician draws on the frame; ``x-ref`` names the list whose ids a
field refers to.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from edge.config.windows import TimeWindow, any_active, parse_window
from edge.core import Box, Point, VehicleClass, ViolationKind
from edge.geometry import GroundPlane

_DEFAULT_ALLOWED: tuple[VehicleClass, ...] = ("car", "motorcycle", "bus", "truck", "bicycle")
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


def _window(text: str) -> str:
    parse_window(text)  # raises WindowSyntaxError (a ValueError) saying how to write it
    return text


WindowText = Annotated[str, AfterValidator(_window), Field(examples=["Mon-Fri 06:00-10:00", "Sat,Sun 07:00-12:00"])]

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


def _draw(kind: str) -> dict[str, Any]:
    return {"x-draw": kind}


def _ref(target: str) -> dict[str, Any]:
    return {"x-ref": target}


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(Strict):
    """Where the camera stands."""

    lat: float = Field(ge=-90, le=90, title="Latitude", description="WGS84 degrees.")
    lon: float = Field(ge=-180, le=180, title="Longitude", description="WGS84 degrees.")


class SiteInfo(Strict):
    """The intersection: its id (used in MQTT topics), name, time zone and place."""

    id: Identifier = Field(title="Site id", description="Stable id, used in MQTT topics.")
    name: str = Field(min_length=1, title="Name", description="Human-readable place name.")
    timezone: str = Field(
        default="Asia/Jakarta", title="Time zone",
        description="IANA zone of the site (Asia/Jakarta, Asia/Makassar, Asia/Jayapura).",
    )
    location: Location = Field(title="Location", description="Where the camera stands.")
    holidays: list[date] = Field(
        default_factory=list, title="Public holidays",
        description="Local dates (YYYY-MM-DD) on which restrictions that skip holidays (odd-even, by "
        "default) are not enforced: the year's national holidays and collective leave days.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}; use e.g. Asia/Jakarta") from exc
        return value


class CameraInfo(Strict):
    """The camera: its id, where frames come from, and the frame size all geometry is drawn in."""

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


@functools.lru_cache(maxsize=32)
def _fitted_plane(image_points: tuple[Point, ...], world_points_m: tuple[Point, ...]) -> GroundPlane:
    # Cached here, not on the model: a cache inside the model would take part in its equality.
    return GroundPlane.fit(image_points, world_points_m)


class Homography(Strict):
    """Ground-plane homography: the same points in pixels and in metres on the road."""

    image_points: list[Point] = Field(
        min_length=4, title="Image points",
        description="Ground points clicked in the image, pixels: at least 4, better 6 or more spread "
        "over the road (with exactly 4 the fit is exact and cannot reveal a wrong point).",
        json_schema_extra=_draw("ground_points"),
    )
    world_points_m: list[Point] = Field(
        min_length=4, title="World points",
        description="The same points on the ground, metres [X across the road, Y along it], "
        "in the same order (measured lane widths, dash spacing, stop-line length).",
        json_schema_extra=_draw("ground_points"),
    )

    def plane(self) -> GroundPlane:
        """The fitted ground plane; raises ValueError for a degenerate point set. Fitted once per
        set of points (the checks, the footprint, the detection region and the rules all ask)."""
        return _fitted_plane(tuple(self.image_points), tuple(self.world_points_m))


class Lane(Strict):
    """A lane: its area on the road and the direction traffic may travel in it."""

    id: Identifier = Field(title="Lane id", description="Stable id, named in events (e.g. lane-1).")
    polygon: list[Point] = Field(
        min_length=3, title="Polygon", description="The lane's area on the road, pixels.",
        json_schema_extra=_draw("polygon"),
    )
    direction: tuple[Point, Point] = Field(
        title="Legal direction", description="Arrow [from, to] in pixels along legal travel, inside the lane.",
        json_schema_extra=_draw("arrow"),
    )
    speed_limit_kmh: float | None = Field(
        default=None, gt=0, le=200, title="Speed limit",
        description="km/h; empty: no limit enforced here. Needs the ground-plane homography.",
    )
    allowed_classes: list[VehicleClass] = Field(
        default_factory=lambda: list(_DEFAULT_ALLOWED),
        title="Allowed classes", description="Vehicle classes allowed in this lane at any time.",
    )


class StopLine(Strict):
    """A stop line across one or more lanes, governed by one signal."""

    id: Identifier = Field(title="Stop line id", description="Stable id, named in events.")
    line: tuple[Point, Point] = Field(
        title="Line", description="[start, end] in pixels, across its lanes.", json_schema_extra=_draw("segment")
    )
    lanes: list[Identifier] = Field(
        min_length=1, title="Lanes", description="Ids of the lanes this stop line controls.",
        json_schema_extra=_ref("lanes"),
    )
    signal: Identifier = Field(
        title="Signal", description="Id of the signal governing it.", json_schema_extra=_ref("signals")
    )
    junction_line: tuple[Point, Point] | None = Field(
        default=None, title="Junction-entry line",
        description="[start, end] in pixels where the junction begins (e.g. the far edge of the zebra "
        "crossing), beyond the stop line and across the same lanes. A vehicle that crosses the stop line "
        "on red runs the red only once it crosses this line too; one that stops between the two lines "
        "has stopped past the stop line. Empty: junction_distance_m past the stop line on the ground "
        "plane, or, without a ground plane, the stop line alone.",
        json_schema_extra=_draw("segment"),
    )


class SolidLine(Strict):
    """A solid lane line (marka utuh) that vehicles may not cross."""

    id: Identifier = Field(title="Solid line id", description="Stable id, named in events.")
    line: list[Point] = Field(
        min_length=2, title="Polyline", description="Marka utuh (solid line), pixels, at least 2 points.",
        json_schema_extra=_draw("polyline"),
    )


class LampRois(Strict):
    """One box per lamp of a signal head, in pixels."""

    red: Box = Field(title="Red lamp", description="[x1, y1, x2, y2] pixels.", json_schema_extra=_draw("box"))
    amber: Box = Field(title="Amber lamp", description="[x1, y1, x2, y2] pixels.", json_schema_extra=_draw("box"))
    green: Box = Field(title="Green lamp", description="[x1, y1, x2, y2] pixels.", json_schema_extra=_draw("box"))


class Signal(Strict):
    """A traffic light head, read from the image or from the traffic controller."""

    id: Identifier = Field(title="Signal id", description="Stable id, referred to by stop lines.")
    source: Literal["vision", "controller"] = Field(
        default="vision", title="Source",
        description="vision: read the lamps in the image; controller: phases over MQTT.",
    )
    roi: LampRois | None = Field(
        default=None, title="Lamp regions", description="Required when source is vision.",
        json_schema_extra=_draw("lamps"),
    )


class Zone(Strict):
    """An area where vehicles may not stand longer than allowed."""

    id: Identifier = Field(title="Zone id", description="Stable id, named in events.")
    kind: Literal["no_stopping"] = Field(title="Kind", description="no_stopping: vehicles may not stand here.")
    polygon: list[Point] = Field(
        min_length=3, title="Polygon", description="The zone's area on the road, pixels.",
        json_schema_extra=_draw("polygon"),
    )
    max_dwell_s: float = Field(gt=0, le=3600, title="Max dwell", description="Seconds a vehicle may stand inside.")


DEFAULT_EXEMPT: dict[str, tuple[str, ...]] = {"busway": ("bus",), "odd_even": ("motorcycle", "bus"), "class_ban": ()}


class Restriction(Strict):
    """Who may use some lanes, and when: busway, class ban or odd-even (ganjil-genap)."""

    id: Identifier = Field(title="Restriction id", description="Stable id, named in events.")
    kind: Literal["busway", "odd_even", "class_ban"] = Field(
        title="Kind",
        description="busway: only the allowed classes may use the lanes; class_ban: the same for a "
        "class ban (e.g. no motorcycles); odd_even: ganjil-genap, plates whose last digit does not "
        "match the date may not use the lanes (allowed classes are exempt).",
    )
    lanes: list[Identifier] = Field(
        min_length=1, title="Lanes", description="Ids of the lanes it applies to.", json_schema_extra=_ref("lanes")
    )
    allowed_classes: list[VehicleClass] = Field(
        default_factory=list, title="Allowed classes",
        description="busway/class_ban: the classes that may use the lanes; odd_even: exempt classes.",
    )
    windows: list[WindowText] = Field(
        default_factory=list, title="Time windows",
        description='When it applies, in the site time zone, e.g. "Mon-Fri 06:00-10:00" or '
        '"Sat,Sun 07:00-12:00"; a window may run past midnight ("Fri 22:00-02:00"). Empty: always.',
    )
    skip_holidays: bool | None = Field(
        default=None, title="Not on public holidays",
        description="Not enforced on the dates in site.holidays. Unset: odd_even skips them (Jakarta's "
        "ganjil-genap does not apply on national holidays), busway and class_ban do not.",
    )

    @property
    def skips_holidays(self) -> bool:
        return self.skip_holidays if self.skip_holidays is not None else self.kind == "odd_even"

    @property
    def exempt_classes(self) -> tuple[str, ...]:
        """The classes it lets through: its own list, else its kind's default (a busway: buses;
        odd-even: motorcycles and buses, as in Jakarta; a class ban: none)."""
        return tuple(self.allowed_classes) or DEFAULT_EXEMPT[self.kind]

    def time_windows(self) -> tuple[TimeWindow, ...]:
        return tuple(parse_window(text) for text in self.windows)

    def active_at(self, moment: datetime, zone: str, holidays: Collection[date] = (),
                  windows: tuple[TimeWindow, ...] | None = None) -> bool:
        """Whether the restriction holds at an aware moment (a frame's capture time) in the site
        zone: one of its windows, and not one of `holidays` if it skips those. `windows`: the
        same windows already parsed (the rules' Scene keeps them)."""
        if self.skips_holidays and moment.astimezone(ZoneInfo(zone)).date() in holidays:
            return False
        return any_active(self.time_windows() if windows is None else windows, moment, zone)


class Calibration(Strict):
    """The geometry of the site, in the camera's pixels; versioned, its sha256 goes into every event."""

    version: int = Field(
        ge=1, title="Version", description="Bumped on every change (the calibration tool does it on save)."
    )
    homography: Homography | None = Field(
        default=None, title="Ground-plane homography",
        description="Ground points in pixels and metres; needed for speeds and distances.",
    )
    lanes: list[Lane] = Field(min_length=1, title="Lanes", description="Lane polygons with their legal direction.")
    stop_lines: list[StopLine] = Field(default_factory=list, title="Stop lines", description="Where vehicles stop.")
    solid_lines: list[SolidLine] = Field(
        default_factory=list, title="Solid lines", description="Lines that may not be crossed (marka utuh)."
    )
    signals: list[Signal] = Field(default_factory=list, title="Signals", description="Traffic light heads.")
    zones: list[Zone] = Field(default_factory=list, title="Zones", description="No-stopping areas.")
    restrictions: list[Restriction] = Field(
        default_factory=list, title="Restrictions", description="Busways, class bans and odd-even, with time windows."
    )

    def ground_plane(self) -> GroundPlane | None:
        """The fitted ground plane, or None without a homography (a loaded site is never degenerate)."""
        return self.homography.plane() if self.homography is not None else None


class SiteFile(Strict):
    """One camera at one intersection: where it is, what it sees, and the calibrated geometry."""

    site: SiteInfo = Field(title="Site", description="The intersection.")
    camera: CameraInfo = Field(title="Camera", description="The camera and its frame.")
    calibration: Calibration = Field(title="Calibration", description="The geometry, in this camera's pixels.")
    articles: dict[ViolationKind, str] = Field(
        default_factory=dict, title="Articles of law",
        description="Overrides of the default UU 22/2009 article per violation kind.",
    )

    def article(self, kind: ViolationKind) -> str:
        return self.articles.get(kind, DEFAULT_ARTICLES[kind])
