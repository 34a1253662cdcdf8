"""Recurring weekly availability, expanded to UTC windows across daylight-saving changes.

A template says "every <weekday>, from <start_local> to <end_local>, in <tz>". Each occurrence is placed on
the local calendar first and only then converted to UTC, so Europe/London 09:00-17:00 is 09:00Z-17:00Z in
winter and 08:00Z-16:00Z in summer.

Local times that do not map to exactly one instant are resolved deterministically:

* **Nonexistent** (inside the spring-forward gap, e.g. 01:30 in London on the last Sunday of March): moved
  forward to the first instant after the gap, i.e. the moment the clocks jump (01:00Z = 02:00 BST). This is
  what pandas calls ``shift_forward``. It keeps the mapping monotonic, so a window never ends before it
  starts; a window lying wholly inside the gap becomes empty and is dropped.
* **Ambiguous** (inside the autumn fold, e.g. 01:30 in London on the last Sunday of October): the earlier of
  the two instants (``fold=0``, still on summer time: 00:30Z).

A window whose `end_local` is at or before `start_local` runs overnight and ends on the next local day (so
22:00-06:00 is a night shift). `start_local == end_local` is rejected: it would be either empty or a full day,
and guessing is worse than asking. Occurrences are those whose local start date lies in
`[from_date, to_date]`, both inclusive.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.scheduler.domain.intervals import Interval

_WEEK = timedelta(days=7)
_DAY = timedelta(days=1)


def expand_weekly_template(
    weekday: int,
    start_local: time,
    end_local: time,
    tz: ZoneInfo,
    from_date: date,
    to_date: date,
) -> list[Interval]:
    """The UTC windows of a weekly template between two local dates, both inclusive, in order.

    `weekday` follows `date.weekday()`: Monday is 0, Sunday is 6. `start_local` and `end_local` are naive wall
    clock times in `tz` (a time carrying its own tzinfo is rejected).
    """
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {weekday}")
    for name, value in (("start_local", start_local), ("end_local", end_local)):
        if value.tzinfo is not None:
            raise ValueError(f"{name} must be a naive wall-clock time; the zone is given by tz")
    if start_local == end_local:
        raise ValueError("start_local equals end_local: the window would be empty or a whole day")
    overnight = end_local < start_local
    if from_date > to_date:
        return []

    windows: list[Interval] = []
    day = from_date + timedelta(days=(weekday - from_date.weekday()) % 7)
    while day <= to_date:
        start = local_to_utc(datetime.combine(day, start_local), tz)
        end = local_to_utc(datetime.combine(day + _DAY if overnight else day, end_local), tz)
        if start < end:
            windows.append(Interval(start, end))
        day += _WEEK
    return windows


def local_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall-clock time in `tz`, resolved as the module docstring says."""
    if wall.tzinfo is not None:
        raise ValueError("wall must be a naive local datetime")
    earlier = wall.replace(tzinfo=tz, fold=0)
    instant = earlier.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant  # exists; for an ambiguous time fold=0 is the earlier instant
    return _end_of_gap(wall, tz)


def _end_of_gap(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first instant after the gap that swallows the nonexistent local time `wall`.

    Read with the offset after the transition, `wall` gives an instant before the jump; read with the offset
    before, an instant after it. The jump lies between the two: bisect on whole seconds (transitions in the
    tz database fall on whole seconds) for the first instant whose offset is the one after the jump.
    """
    offset_before = wall.replace(tzinfo=tz, fold=0).utcoffset()
    offset_after = wall.replace(tzinfo=tz, fold=1).utcoffset()
    assert offset_before is not None and offset_after is not None
    naive_wall = wall.replace(tzinfo=None)
    low = (naive_wall - offset_after).replace(tzinfo=UTC)  # still before the jump
    high = (naive_wall - offset_before).replace(tzinfo=UTC)  # already after the jump
    low_s, high_s = int(low.timestamp()), int(high.timestamp())
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(tz).utcoffset() == offset_after:
            high_s = middle
        else:
            low_s = middle
    return datetime.fromtimestamp(high_s, UTC)
