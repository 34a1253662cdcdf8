from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from services.scheduler.domain import Interval, expand_weekly_template

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_winter_and_summer_mondays_in_london() -> None:
    windows = expand_weekly_template(0, time(9), time(17), LONDON, date(2025, 3, 24), date(2025, 3, 31))
    assert windows == [
        Interval(utc(2025, 3, 24, 9), utc(2025, 3, 24, 17)),
        Interval(utc(2025, 3, 31, 8), utc(2025, 3, 31, 16)),
    ]


def test_autumn_change_in_london() -> None:
    windows = expand_weekly_template(4, time(9), time(17), LONDON, date(2025, 10, 20), date(2025, 11, 2))
    assert windows == [
        Interval(utc(2025, 10, 24, 8), utc(2025, 10, 24, 16)),
        Interval(utc(2025, 10, 31, 9), utc(2025, 10, 31, 17)),
    ]


def test_window_over_the_spring_gap_is_an_hour_shorter() -> None:
    # Sunday 2025-03-30: 01:00-02:00 local does not exist. 00:30-03:00 local lasts 1.5 hours.
    windows = expand_weekly_template(6, time(0, 30), time(3), LONDON, date(2025, 3, 30), date(2025, 3, 30))
    assert windows == [Interval(utc(2025, 3, 30, 0, 30), utc(2025, 3, 30, 2))]


def test_nonexistent_local_start_moves_to_the_end_of_the_gap() -> None:
    windows = expand_weekly_template(6, time(1, 30), time(3), LONDON, date(2025, 3, 30), date(2025, 3, 30))
    assert windows == [Interval(utc(2025, 3, 30, 1), utc(2025, 3, 30, 2))]


def test_window_wholly_inside_the_gap_is_dropped() -> None:
    assert (
        expand_weekly_template(6, time(1, 10), time(1, 50), LONDON, date(2025, 3, 30), date(2025, 3, 30))
        == []
    )


def test_ambiguous_local_time_takes_the_earlier_instant() -> None:
    # Sunday 2025-10-26: 01:00-02:00 local happens twice (BST, then GMT). 01:30-03:00 starts on BST.
    windows = expand_weekly_template(6, time(1, 30), time(3), LONDON, date(2025, 10, 26), date(2025, 10, 26))
    assert windows == [Interval(utc(2025, 10, 26, 0, 30), utc(2025, 10, 26, 3))]


def test_new_york_gap_and_fold() -> None:
    spring = expand_weekly_template(6, time(2, 30), time(4), NEW_YORK, date(2025, 3, 9), date(2025, 3, 9))
    assert spring == [Interval(utc(2025, 3, 9, 7), utc(2025, 3, 9, 8))]
    autumn = expand_weekly_template(6, time(1, 30), time(2), NEW_YORK, date(2025, 11, 2), date(2025, 11, 2))
    assert autumn == [Interval(utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 7))]


def test_overnight_template_ends_next_day() -> None:
    windows = expand_weekly_template(4, time(22), time(6), LONDON, date(2025, 1, 1), date(2025, 1, 12))
    assert windows == [
        Interval(utc(2025, 1, 3, 22), utc(2025, 1, 4, 6)),
        Interval(utc(2025, 1, 10, 22), utc(2025, 1, 11, 6)),
    ]


def test_dates_are_inclusive_and_empty_range_gives_nothing() -> None:
    assert len(expand_weekly_template(2, time(9), time(10), LONDON, date(2025, 1, 1), date(2025, 1, 1))) == 1
    assert expand_weekly_template(2, time(9), time(10), LONDON, date(2025, 1, 2), date(2025, 1, 7)) == []
    assert expand_weekly_template(2, time(9), time(10), LONDON, date(2025, 1, 8), date(2025, 1, 1)) == []


def test_every_window_is_aware_utc() -> None:
    windows = expand_weekly_template(1, time(9), time(17), LONDON, date(2025, 1, 1), date(2025, 12, 31))
    assert len(windows) == 52
    assert all(w.start.tzinfo is UTC and w.end.tzinfo is UTC for w in windows)
    assert {w.end - w.start for w in windows} == {w.end - w.start for w in windows[:1]}


@pytest.mark.parametrize(
    ("weekday", "start", "end"),
    [
        (7, time(9), time(10)),
        (-1, time(9), time(10)),
        (0, time(9), time(9)),
        (0, time(9, tzinfo=UTC), time(10)),
    ],
)
def test_invalid_templates_rejected(weekday: int, start: time, end: time) -> None:
    with pytest.raises(ValueError):
        expand_weekly_template(weekday, start, end, LONDON, date(2025, 1, 1), date(2025, 1, 31))
