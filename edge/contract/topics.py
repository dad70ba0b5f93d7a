"""The MQTT topics of one camera (DESIGN.md "MQTT topics"), and parsing them back.

>>> t = Topics("etle/v1", "jkt-01", "cam-01")
>>> t.violation, t.media("0b7c", "overview_at.jpg")
('etle/v1/jkt-01/cam-01/violation', 'etle/v1/jkt-01/cam-01/media/0b7c/overview_at.jpg')
>>> parse_topic("etle/v1", "etle/v1/jkt-01/cam-01/media/0b7c/vehicle.jpg")
TopicRef(site='jkt-01', camera='cam-01', channel='media', event_id='0b7c', name='vehicle.jpg')
>>> parse_topic("etle/v1", "etle/v1/jkt-01/violation") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# Site and camera ids follow the site file's identifier pattern, so they never hold /, + or #.
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MEDIA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

Channel = Literal["violation", "media", "status", "receipt", "signal"]
_SINGLE: tuple[Channel, ...] = ("violation", "status", "receipt", "signal")


class TopicError(ValueError):
    """A site id, camera id, event id or media name cannot be part of a topic."""


def _check(kind: str, value: str, pattern: re.Pattern[str]) -> None:
    if not pattern.match(value):
        raise TopicError(f"{kind} {value!r} cannot be a topic level: use letters, digits, '_', '.', '-' "
                         f"(pattern {pattern.pattern})")


@dataclass(frozen=True, slots=True)
class Topics:
    prefix: str
    site: str
    camera: str

    def __post_init__(self) -> None:
        _check("site id", self.site, IDENTIFIER)
        _check("camera id", self.camera, IDENTIFIER)
        if not self.prefix or any(c in self.prefix for c in "+#") or self.prefix.startswith("/"):
            raise TopicError(f"topic prefix {self.prefix!r} must be plain levels such as etle/v1")

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.site}/{self.camera}"

    @property
    def violation(self) -> str:
        return f"{self.base}/violation"

    @property
    def status(self) -> str:
        return f"{self.base}/status"

    @property
    def receipt(self) -> str:
        return f"{self.base}/receipt"

    @property
    def signal(self) -> str:
        return f"{self.base}/signal"

    @property
    def original_request(self) -> str:
        """Back office → box: send a withheld original (edge.contract.originals)."""
        return f"{self.base}/original/request"

    @property
    def original_answer(self) -> str:
        return f"{self.base}/original/answer"

    def original(self, event_id: str, name: str) -> str:
        """Box → back office: a withheld original's bytes, on request only."""
        _check("event id", event_id, MEDIA_NAME)
        _check("media name", name, MEDIA_NAME)
        return f"{self.base}/original/{event_id}/{name}"

    def media(self, event_id: str, name: str) -> str:
        _check("event id", event_id, MEDIA_NAME)
        _check("media name", name, MEDIA_NAME)
        return f"{self.base}/media/{event_id}/{name}"


@dataclass(frozen=True, slots=True)
class TopicRef:
    """A topic read back: which camera, which channel, and for media which event and file."""

    site: str
    camera: str
    channel: Channel
    event_id: str | None = None
    name: str | None = None

    def topics(self, prefix: str) -> Topics:
        return Topics(prefix, self.site, self.camera)


def parse_topic(prefix: str, topic: str) -> TopicRef | None:
    """The parts of a topic under prefix, or None when it is not one of ours."""
    if not topic.startswith(prefix + "/"):
        return None
    levels = topic[len(prefix) + 1:].split("/")
    if len(levels) < 3 or not IDENTIFIER.match(levels[0]) or not IDENTIFIER.match(levels[1]):
        return None
    site, camera, channel, *rest = levels
    if channel == "media" and len(rest) == 2 and all(MEDIA_NAME.match(level) for level in rest):
        return TopicRef(site, camera, "media", rest[0], rest[1])
    for single in _SINGLE:
        if channel == single and not rest:
            return TopicRef(site, camera, single)
    return None
