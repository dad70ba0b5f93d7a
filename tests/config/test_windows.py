"""Restriction time windows: how they are written, when they hold, how bad ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from edge.config.site import Restriction
from edge.config.windows import WindowSyntaxError, any_active, parse_window

THU = datetime(2026, 1, 15)  # a Thursday


@pytest.mark.parametrize(
    ("text", "days", "start", "end", "canonical"),
    [
        ("Mon-Fri 06:00-10:00", {0, 1, 2, 3, 4}, 360, 600, "Mon,Tue,Wed,Thu,Fri 06:00-10:00"),
        ("Sat,Sun 07:00-12:00", {5, 6}, 420, 720, "Sat,Sun 07:00-12:00"),
        ("06:00-10:00", set(range(7)), 360, 600, "06:00-10:00"),
        ("Fri-Mon 00:00-24:00", {4, 5, 6, 0}, 0, 1440, "Mon,Fri,Sat,Sun 00:00-24:00"),
        ("  mon , WED  7:30 - 9:05 ", {0, 2}, 450, 545, "Mon,Wed 07:30-09:05"),
        ("Fri 22:00-02:00", {4}, 1320, 120, "Fri 22:00-02:00"),
    ],
)
def test_parse(text: str, days: set[int], start: int, end: int, canonical: str) -> None:
    window = parse_window(text)
    assert (set(window.days), window.start_min, window.end_min, str(window)) == (days, start, end, canonical)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Mon-Fri 6-10", 'write "[days ]HH:MM-HH:MM"'),
        ("", 'write "[days ]HH:MM-HH:MM"'),
        ("Mon-Fri", 'write "[days ]HH:MM-HH:MM"'),
        ("Senin 06:00-10:00", "unknown day 'Senin'; use Mon, Tue"),
        ("Mon-Fry 06:00-10:00", "unknown day 'Fry'"),
        ("Mon 25:00-26:00", "25:00 is not a time of day"),
        ("Mon 06:60-07:00", "06:60 is not a time of day"),
        ("Mon 24:00-06:00", "24:00 is not a time of day"),  # 24:00 only ends a window
        ("Mon 06:00-06:00", "the window would be empty"),
    ],
)
def test_refused_with_the_way_to_write_it(text: str, reason: str) -> None:
    with pytest.raises(WindowSyntaxError, match=reason.replace("[", r"\[").replace("(", r"\(")):
        parse_window(text)


@pytest.mark.parametrize(
    ("text", "moment", "inside"),
    [
        ("Mon-Fri 06:00-10:00", THU.replace(hour=6), True),  # start included
        ("Mon-Fri 06:00-10:00", THU.replace(hour=10), False),  # end excluded
        ("Mon-Fri 06:00-10:00", THU.replace(hour=9, minute=59), True),
        ("Mon-Fri 06:00-10:00", THU.replace(day=17, hour=7), False),  # Saturday
        ("Fri 22:00-02:00", THU.replace(day=16, hour=23), True),  # Friday night
        ("Fri 22:00-02:00", THU.replace(day=17, hour=1, minute=59), True),  # its tail, on Saturday
        ("Fri 22:00-02:00", THU.replace(hour=1), False),  # Thursday's small hours are Wednesday's window
        ("Sun 20:00-01:00", THU.replace(day=19, hour=0, minute=30), True),  # wraps Sunday into Monday
        ("00:00-24:00", THU.replace(hour=23, minute=59), True),
    ],
)
def test_contains(text: str, moment: datetime, inside: bool) -> None:
    assert parse_window(text).contains(moment) is inside


def test_any_active_uses_the_site_zone() -> None:
    odd_even = [parse_window("Mon-Fri 06:00-10:00"), parse_window("Mon-Fri 16:00-21:00")]
    at_0730_wib = datetime(2026, 1, 15, 0, 30, tzinfo=UTC)
    assert any_active(odd_even, at_0730_wib, "Asia/Jakarta")
    assert not any_active(odd_even, at_0730_wib, "UTC")  # 00:30 there
    wita = timezone(timedelta(hours=8))
    assert any_active(odd_even, datetime(2026, 1, 15, 17, 30, tzinfo=wita), "Asia/Jakarta")  # 16:30 WIB
    assert any_active([], at_0730_wib, "Asia/Jakarta")  # no windows: always


def test_any_active_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        any_active([parse_window("06:00-10:00")], datetime(2026, 1, 15, 7, 30), "Asia/Jakarta")


def test_restriction_asks_its_windows() -> None:
    busway = Restriction(id="r1", kind="busway", lanes=["l1"], allowed_classes=["bus"],
                         windows=["Mon-Fri 06:00-10:00"])
    assert busway.active_at(datetime(2026, 1, 15, 7, 30, tzinfo=timezone(timedelta(hours=7))), "Asia/Jakarta")
    assert not busway.active_at(datetime(2026, 1, 17, 7, 30, tzinfo=timezone(timedelta(hours=7))), "Asia/Jakarta")
    always = Restriction(id="r2", kind="class_ban", lanes=["l1"], allowed_classes=["car"])
    assert always.active_at(datetime(2026, 1, 17, 3, 0, tzinfo=UTC), "Asia/Jakarta")
