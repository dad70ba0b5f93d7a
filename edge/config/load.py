"""Loading a site file: read the bytes, parse them, run every check, name each bad field.

The loader is the one place that knows where a site file lives and the hash of its exact
bytes (`LoadedSite`); the model (`edge.config.site`) and the checks (`edge.config.checks`)
are pure.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from edge.config.checks import Problem, find_problems, shape_problems
from edge.config.site import SiteFile
from edge.errors import SiteFileError


class LoadedSite(BaseModel):
    """A parsed site file plus what only the loader knows: where it lives and its exact bytes' hash."""

    model_config = ConfigDict(frozen=True)

    path: Path
    sha256: str
    site: SiteFile
    faults: tuple[str, ...] = ()  # geometry problems of a file loaded for fail-safe running

    def resolve_source(self, source: str | None = None) -> str:
        """A relative source path is relative to the site file; URLs pass through."""
        raw = source if source is not None else self.site.camera.source
        if "://" in raw:
            return raw
        candidate = Path(raw)
        if source is None and not candidate.is_absolute():
            candidate = self.path.parent / candidate
        return str(candidate)


def _item_id(data: object, loc: tuple[str | int, ...]) -> str | None:
    """The id of the list item a pydantic error points into (calibration.lanes.0 → 'lane-1')."""
    if len(loc) < 3 or not isinstance(loc[2], int) or not isinstance(data, dict):
        return None
    section = data.get(loc[0])
    items = section.get(loc[1]) if isinstance(section, dict) else None
    if isinstance(items, list) and 0 <= loc[2] < len(items) and isinstance(items[loc[2]], dict):
        item_id = items[loc[2]].get("id")
        return item_id if isinstance(item_id, str) else None
    return None


def _validation_problems(data: object, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        # pydantic prefixes our own ValueErrors with "Value error, "; the reason reads better without.
        reason = str(err["ctx"]["error"]) if err["type"] == "value_error" and "ctx" in err else err["msg"]
        problems.append(Problem(loc, reason, _item_id(data, loc)))
    return problems


def parse_site(data: object) -> tuple[SiteFile | None, list[Problem]]:
    """Parse site-file data (from YAML or the calibration tool) and run every check.

    Returns the model when the structure is valid (even with geometric problems) and every
    problem found; an empty list means the site is usable.
    """
    if not isinstance(data, dict):
        return None, [Problem((), "expected a mapping of site, camera, calibration, articles")]
    try:
        site = SiteFile.model_validate(data)
    except ValidationError as exc:
        return None, [*_validation_problems(data, exc), *shape_problems(data)]
    return site, find_problems(site)


def load_site(path: str | Path, fail_safe: bool = False) -> LoadedSite:
    """Read, parse and validate a site file; raise `SiteFileError` naming every bad field.

    With `fail_safe`, a file that parses but fails its checks (bad geometry) still loads, its
    problems in `faults`: the box then records and reports but issues no violation. A file
    that does not even parse says nothing about the camera, so it is refused either way.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SiteFileError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise SiteFileError(str(path), [f"not valid YAML: {exc}"]) from exc
    site, problems = parse_site(data)
    if site is None or (problems and not fail_safe):
        raise SiteFileError(str(path), [str(p) for p in problems])
    return LoadedSite(path=path, sha256=hashlib.sha256(raw).hexdigest(), site=site,
                      faults=tuple(str(p) for p in problems))
