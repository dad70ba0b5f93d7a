"""One act, one event naming every article it broke: `violation.articles` (primary first, each once)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from edge.evidence.event import SCHEMA, MediaItem, articles, build_event, new_event_id
from edge.ledger.signing import load_schema, with_link
from tests.builders import T0, context, violation

MEDIA = MediaItem(name="overview.jpg", role="overview_at", sha256="0" * 64, bytes=1, content_type="image/jpeg",
                  frame_index=10, captured_at=T0)
BUSWAY_AND_LANE = {"restriction": "busway-1", "restrictions": "busway-1,lane-1",
                   "restriction_kinds": "busway,lane_classes"}


@pytest.mark.parametrize(
    ("kind", "details", "overrides", "expected"),
    [
        ("red_light", {}, {}, ["UU 22/2009 Pasal 287 ayat (2)"]),
        ("restricted_lane", BUSWAY_AND_LANE, {}, ["UU 22/2009 Pasal 287 ayat (1)"]),  # one article, named once
        ("restricted_lane", {**BUSWAY_AND_LANE, "restriction_kinds": "busway,odd_even"},
         {"odd_even": "Pergub DKI 88/2019"}, ["UU 22/2009 Pasal 287 ayat (1)", "Pergub DKI 88/2019"]),
        ("restricted_lane", {**BUSWAY_AND_LANE, "restriction_kinds": ""}, {}, ["UU 22/2009 Pasal 287 ayat (1)"]),
    ],
)
def test_articles_name_every_provision_once(tmp_path: Path, kind: str, details: dict[str, str],
                                            overrides: dict[str, str], expected: list[str]) -> None:
    ctx = context(tmp_path)
    site = ctx.site.site.model_copy(update={"articles": overrides})
    assert articles(site, replace(violation(1), kind=kind, details=details)) == expected  # type: ignore[arg-type]


def test_event_with_articles_follows_the_schema(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    event = build_event(new_event_id(), ctx, replace(violation(1), kind="restricted_lane",
                                                     details=BUSWAY_AND_LANE), [MEDIA])
    assert event["violation"]["article"] == event["violation"]["articles"][0]
    linked = with_link(event, seq=1, prev_hash="sha256:" + "0" * 64, kid="k" * 43)
    Draft202012Validator(load_schema(SCHEMA)).validate(linked)  # the version the box writes
