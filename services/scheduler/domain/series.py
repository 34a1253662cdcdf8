"""A weekly series' meetings in the team's time zone, across daylight-saving changes (meetings.md §1).

Each occurrence is placed on the local calendar and only then converted to UTC, so a Tuesday 08:00 London
meeting is 08:00Z in winter and 07:00Z in summer. A start inside the spring-forward gap or the autumn fold is
resolved as templates.py does (forward out of the gap; the earlier instant of a fold).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.scheduler.domain.templates import local_to_utc


@dataclass(frozen=True)
class Occurrence:
    local_date: date
    start: datetime  # UTC
    end: datetime


def parse_local_time(value: str) -> time:
    """ "HH:MM", 00:00-23:59. Raises ValueError with the reason."""
    parts = value.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError("must be HH:MM")
    hour, minute = int(parts[0]), int(parts[1])
    if hour > 23 or minute > 59:
        raise ValueError("not a time of day (00:00-23:59)")
    return time(hour, minute)


def occurrences(
    weekday: int,
    start_local: time,
    duration_minutes: int,
    zone: ZoneInfo,
    starts_on: date,
    ends_on: date | None,
    from_date: date,
    to_date: date,
) -> list[Occurrence]:
    """Meetings on ISO `weekday` (1 = Monday) whose local date lies in [max(starts_on, from_date),
    min(ends_on, to_date)], both inclusive, in date order."""
    if not 1 <= weekday <= 7:
        raise ValueError("weekday must be 1 (Monday) to 7 (Sunday)")
    first = max(starts_on, from_date)
    last = to_date if ends_on is None else min(ends_on, to_date)
    day = first + timedelta(days=(weekday - first.isoweekday()) % 7)
    result = []
    while day <= last:
        start = local_to_utc(datetime.combine(day, start_local), zone)
        result.append(Occurrence(day, start, start + timedelta(minutes=duration_minutes)))
        day += timedelta(days=7)
    return result


def horizon(today: date, weeks: int) -> date:
    return today + timedelta(weeks=weeks)


def local_today(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date() if now.tzinfo else now.replace(tzinfo=UTC).astimezone(zone).date()
