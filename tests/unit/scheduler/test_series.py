"""Weekly series in the team's time zone, across daylight-saving changes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scheduler.domain.series import occurrences, parse_local_time

LONDON = ZoneInfo("Europe/London")


def test_tuesday_0800_london_is_0800z_in_winter_and_0700z_in_summer() -> None:
    # Clocks go forward on Sunday 29 March 2026 and back on Sunday 25 October 2026.
    found = occurrences(2, time(8), 90, LONDON, date(2026, 3, 1), None, date(2026, 3, 20), date(2026, 4, 5))
    assert [o.start for o in found] == [
        datetime(2026, 3, 24, 8, tzinfo=UTC),
        datetime(2026, 3, 31, 7, tzinfo=UTC),
    ]
    autumn = occurrences(
        5, time(12, 30), 60, LONDON, date(2026, 1, 1), None, date(2026, 10, 20), date(2026, 10, 31)
    )
    assert [o.start for o in autumn] == [
        datetime(2026, 10, 23, 11, 30, tzinfo=UTC),
        datetime(2026, 10, 30, 12, 30, tzinfo=UTC),
    ]
    assert all((o.end - o.start).total_seconds() == 3600 for o in autumn)


def test_a_start_inside_the_spring_gap_moves_to_the_end_of_the_gap() -> None:
    found = occurrences(
        7, time(1, 30), 30, LONDON, date(2026, 3, 29), date(2026, 3, 29), date(2026, 3, 1), date(2026, 4, 1)
    )
    assert [o.start for o in found] == [datetime(2026, 3, 29, 1, tzinfo=UTC)]


def test_series_bounds_are_inclusive() -> None:
    found = occurrences(
        2, time(8), 90, LONDON, date(2026, 3, 3), date(2026, 3, 17), date(2026, 1, 1), date(2026, 12, 31)
    )
    assert [o.local_date for o in found] == [date(2026, 3, 3), date(2026, 3, 10), date(2026, 3, 17)]


@pytest.mark.parametrize("bad", ["25:00", "8:00", "08:60", "0800", "ab:cd", ""])
def test_bad_local_times_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_local_time(bad)


def test_weekday_8_is_refused() -> None:
    with pytest.raises(ValueError):
        occurrences(8, time(8), 60, LONDON, date(2026, 1, 1), None, date(2026, 1, 1), date(2026, 2, 1))


@given(
    st.integers(1, 7),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.dates(date(2024, 1, 1), date(2030, 12, 31)),
    st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]),
)
def test_every_occurrence_is_on_its_weekday_at_its_local_time_or_just_after_a_gap(
    weekday: int, start: time, first: date, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    found = occurrences(
        weekday, start, 60, zone, first, None, first, date.fromordinal(first.toordinal() + 120)
    )
    assert len(found) >= 17
    for o in found:
        local = o.start.astimezone(zone)
        assert o.local_date.isoweekday() == weekday
        if local.time() != start:  # only inside a spring-forward gap
            assert local.date() == o.local_date and local.time() > start
    assert all(b.start > a.start for a, b in itertools.pairwise(found))
