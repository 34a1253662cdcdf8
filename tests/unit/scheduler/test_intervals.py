from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scheduler.domain import Interval
from services.scheduler.domain.intervals import (
    from_micros,
    intersect,
    intersect_all,
    merge,
    subtract,
    to_micros,
    union,
)


def test_merge_sorts_and_coalesces_touching_and_overlapping_spans() -> None:
    assert merge([(10, 20), (0, 5), (5, 8), (15, 30), (40, 40), (35, 36)]) == [(0, 8), (10, 30), (35, 36)]


def test_merge_drops_empty_and_inverted_spans() -> None:
    assert merge([(3, 3), (5, 4)]) == []


def test_subtract_carves_holes() -> None:
    assert subtract([(0, 100)], [(10, 20), (20, 30), (50, 60), (90, 120)]) == [(0, 10), (30, 50), (60, 90)]


def test_subtract_hole_spanning_several_base_spans() -> None:
    assert subtract([(0, 10), (20, 30), (40, 50)], [(5, 45)]) == [(0, 5), (45, 50)]


def test_subtract_without_holes_returns_base() -> None:
    assert subtract([(0, 10)], []) == [(0, 10)]


def test_intersect() -> None:
    assert intersect([(0, 10), (20, 30)], [(5, 25)]) == [(5, 10), (20, 25)]
    assert intersect([(0, 10)], [(10, 20)]) == []


def test_intersect_all_needs_one_list() -> None:
    with pytest.raises(ValueError):
        intersect_all([])
    assert intersect_all([[(0, 10)], [(2, 12)], [(4, 20)]]) == [(4, 10)]


def test_interval_rejects_naive_and_inverted() -> None:
    aware = datetime(2025, 1, 6, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        Interval(datetime(2025, 1, 6, 9), aware)
    with pytest.raises(ValueError, match="timezone-aware"):
        Interval(aware, datetime(2025, 1, 6, 10))
    with pytest.raises(ValueError, match="before start"):
        Interval(aware, aware - timedelta(minutes=1))
    assert Interval(aware, aware).to_span()[0] == Interval(aware, aware).to_span()[1]


def test_micros_round_trip_any_offset() -> None:
    local = datetime(2025, 1, 6, 14, 30, 0, 17, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    back = from_micros(to_micros(local))
    assert back == local
    assert back.tzinfo is UTC


_span = st.tuples(st.integers(0, 60), st.integers(0, 60))


def _points(spans: list[tuple[int, int]]) -> set[int]:
    return {x for lo, hi in spans for x in range(lo, hi)}


def _normalised(spans: list[tuple[int, int]]) -> bool:
    return all(lo < hi for lo, hi in spans) and all(a[1] < b[0] for a, b in pairwise(spans))


@given(st.lists(_span, max_size=8), st.lists(_span, max_size=8))
def test_set_operations_match_point_sets(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> None:
    ma, mb = merge(a), merge(b)
    for result, expected in (
        (ma, _points(a)),
        (union(a, b), _points(a) | _points(b)),
        (subtract(ma, b), _points(a) - _points(b)),
        (intersect(ma, mb), _points(a) & _points(b)),
    ):
        assert _normalised(result)
        assert _points(result) == expected
