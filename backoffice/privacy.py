"""Which of an event's files an officer sees by default, and which are originals (UU PDP 27/2022).

The box binds every file of an event by sha256; each media item of an `etle.violation/2` event
says its `variant`: `original`, or `redacted` with `source` naming the original it copies.
Originals the box kept (`evidence.privacy.publish: redacted`) are listed in `withheld`.

An original is *protected* when a redacted copy of it exists or the box withheld it: it is shown
only to an allowed role, with a reason (backoffice.access). Everything else is shown: the redacted
copies, the violator's plate crop (it has no copy: nothing in it to hide), and the files of an
event made with redaction off (the box made no copies: those files are all there is).

>>> event = {"media": [{"name": "a.jpg", "role": "overview_at", "variant": "original"},
...                    {"name": "a.redacted.jpg", "role": "overview_at", "variant": "redacted", "source": "a.jpg"},
...                    {"name": "plate.jpg", "role": "plate", "variant": "original"}],
...          "withheld": [{"name": "clip.mp4", "role": "clip", "variant": "original"}]}
>>> [m["name"] for m in shown(event)], sorted(protected(event))
(['a.redacted.jpg', 'plate.jpg'], ['a.jpg', 'clip.mp4'])
>>> shown({"media": []}), protected({"media": []})
([], {})
"""

from __future__ import annotations

from typing import Any

Item = dict[str, Any]


def _items(event: dict[str, Any], member: str) -> list[Item]:
    return [m for m in event.get(member) or [] if isinstance(m, dict) and isinstance(m.get("name"), str)]


def protected(event: dict[str, Any]) -> dict[str, Item]:
    """name → item of every original that only an allowed role may open."""
    copied = {str(m.get("source")) for m in _items(event, "media") if m.get("variant") == "redacted"}
    found = {m["name"]: m for m in _items(event, "media")
             if m.get("variant", "original") == "original" and m["name"] in copied}
    found |= {m["name"]: m for m in _items(event, "withheld")}
    return found


def withheld(event: dict[str, Any]) -> set[str]:
    """The originals the box kept: fetched on request (backoffice.fetch)."""
    return {m["name"] for m in _items(event, "withheld")}


def shown(event: dict[str, Any]) -> list[Item]:
    """The media items an officer, the queue and the letter see, in the event's order."""
    hidden = protected(event)
    return [m for m in _items(event, "media") if m["name"] not in hidden]


def by_role(event: dict[str, Any], content_type: str | None = None) -> dict[str, Item]:
    """role → the shown item of that role (a redacted copy wherever the event has one)."""
    return {str(m.get("role")): m for m in shown(event)
            if content_type is None or m.get("content_type") == content_type}
