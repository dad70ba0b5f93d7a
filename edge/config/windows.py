"""Time windows of a restriction, such as ``"Mon-Fri 06:00-10:00"``.

Parsed once into a frozen `TimeWindow` that a rule asks "are you active at this moment?".
Pure: no clock is read here; the caller passes the frame's capture time.

Syntax: ``[DAYS ]HH:MM-HH:MM``.  DAYS is a comma-separated list of days (``Mon``) or day
ranges (``Mon-Fri``, ``Sat-Sun``; ``Fri-Mon`` wraps over the weekend); without DAYS the
window holds every day. ``24:00`` may end a window. A window whose end is not after its
start runs past midnight: ``Fri 22:00-02:00`` holds Friday 22:00 to Saturday 02:00.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["DAY_NAMES", "TimeWindow", "WindowSyntaxError", "any_active", "parse_window"]

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MINUTES_PER_DAY = 24 * 60
_WINDOW = re.compile(r"^\s*(?:(?P<days>[A-Za-z ,\-]+?)\s+)?(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$")
_EXAMPLE = 'write "[days ]HH:MM-HH:MM", e.g. "Mon-Fri 06:00-10:00" or "Sat,Sun 07:00-12:00"'


class WindowSyntaxError(ValueError):
    """A window string that cannot be read; the message shows the expected form."""


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Days of the week (0 = Monday) and a daily span in minutes since local midnight.

    >>> w = parse_window("Mon-Fri 06:00-10:00")
    >>> w.contains(datetime(2026, 1, 15, 7, 30)), w.contains(datetime(2026, 1, 17, 7, 30))
    (True, False)
    >>> str(parse_window("Fri 22:00-02:00")), parse_window("Fri 22:00-02:00").contains(datetime(2026, 1, 17, 1, 0))
    ('Fri 22:00-02:00', True)
    """

    days: frozenset[int]
    start_min: int
    end_min: int

    def contains(self, local: datetime) -> bool:
        """Whether a wall-clock moment at the site falls inside the window (end excluded)."""
        minute, day = local.hour * 60 + local.minute, local.weekday()
        if self.start_min < self.end_min:
            return day in self.days and self.start_min <= minute < self.end_min
        # Past midnight: the tail after 00:00 belongs to the day the window started on.
        return (day in self.days and minute >= self.start_min) or (
            (day - 1) % 7 in self.days and minute < self.end_min
        )

    def __str__(self) -> str:
        days = "" if len(self.days) == 7 else ",".join(DAY_NAMES[d] for d in sorted(self.days)) + " "
        return f"{days}{_hhmm(self.start_min)}-{_hhmm(self.end_min)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: str, source: str, *, is_end: bool) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if is_end and hours == 24 and minutes == 0:
        return _MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        raise WindowSyntaxError(f"{source!r}: {text} is not a time of day (00:00 to 23:59, or 24:00 as an end)")
    return hours * 60 + minutes


def _day(name: str, source: str) -> int:
    try:
        return DAY_NAMES.index(name.strip().capitalize())
    except ValueError:
        raise WindowSyntaxError(
            f"{source!r}: unknown day {name.strip()!r}; use {', '.join(DAY_NAMES)}"
        ) from None


def _days(text: str | None, source: str) -> frozenset[int]:
    if text is None:
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        first, sep, last = part.partition("-")
        if not sep:
            days.add(_day(first, source))
            continue
        start, end = _day(first, source), _day(last, source)
        days.update((start + k) % 7 for k in range((end - start) % 7 + 1))
    return frozenset(days)


def parse_window(text: str) -> TimeWindow:
    """Read one window; raise `WindowSyntaxError` saying how to write it.

    >>> parse_window("06:00-10:00").days == frozenset(range(7))
    True
    >>> sorted(parse_window("Fri-Mon 00:00-24:00").days)
    [0, 4, 5, 6]
    >>> parse_window("Mon-Fri 6-10")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    edge.config.windows.WindowSyntaxError: 'Mon-Fri 6-10': write "[days ]HH:MM-HH:MM", e.g. "Mon-Fri 06:00-10:00" ...
    """
    match = _WINDOW.match(text)
    if match is None:
        raise WindowSyntaxError(f"{text!r}: {_EXAMPLE}")
    start = _minutes(match["start"], text, is_end=False)
    end = _minutes(match["end"], text, is_end=True)
    if start == end:
        raise WindowSyntaxError(f"{text!r}: start and end are both {match['start']}; the window would be empty")
    return TimeWindow(days=_days(match["days"], text), start_min=start, end_min=end)


def any_active(windows: Sequence[TimeWindow], moment: datetime, zone: str) -> bool:
    """Whether any window holds at `moment` (aware) in the site's IANA zone; no windows: always.

    >>> from datetime import timezone
    >>> odd_even = [parse_window("Mon-Fri 06:00-10:00"), parse_window("Mon-Fri 16:00-21:00")]
    >>> any_active(odd_even, datetime(2026, 1, 15, 0, 30, tzinfo=timezone.utc), "Asia/Jakarta")  # 07:30 WIB
    True
    >>> any_active([], datetime(2026, 1, 15, 0, 30, tzinfo=timezone.utc), "Asia/Jakarta")
    True
    """
    if moment.utcoffset() is None:
        raise ValueError("moment needs a UTC offset: pass the frame's capture time, which carries one")
    if not windows:
        return True
    local = moment.astimezone(ZoneInfo(zone))
    return any(window.contains(local) for window in windows)
