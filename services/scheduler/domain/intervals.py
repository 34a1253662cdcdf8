"""Interval-set arithmetic for the slot search: merge, subtract, intersect.

Two representations live here:

* `Interval` — the public, half-open `[start, end)` range of timezone-aware datetimes that callers hand in
  (availability windows, busy bookings) and get back (template expansion).
* `Span` — a half-open `(lo, hi)` range of integers. The slot search converts every datetime once to integer
  microseconds since the Unix epoch (exact: datetimes have microsecond resolution) and afterwards works on
  integers only, which is both exact and several times faster than comparing datetimes. Spans are also used
  for ranges of 15-minute grid indices.

Every set operation takes and returns *normalised* span lists: sorted by `lo`, no empty spans, and no two
spans overlapping or touching (`[0, 3)` and `[3, 5)` are one span `[0, 5)`). `merge` normalises any list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

Span = tuple[int, int]
"""A half-open integer range `[lo, hi)`; empty when `hi <= lo`."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)


def require_aware(value: datetime, name: str) -> None:
    """Raise ValueError unless `value` is a timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive datetime {value.isoformat()}")


def to_micros(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact)."""
    return (value - EPOCH) // _ONE_MICROSECOND


def from_micros(micros: int) -> datetime:
    """The UTC datetime `micros` microseconds after the Unix epoch."""
    return EPOCH + timedelta(microseconds=micros)


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open range `[start, end)` of timezone-aware datetimes.

    `start == end` is allowed and denotes the empty interval (it frees nothing and blocks nothing);
    `end < start` and naive datetimes are rejected with ValueError.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "Interval.start")
        require_aware(self.end, "Interval.end")
        if self.end < self.start:
            raise ValueError(f"Interval end {self.end.isoformat()} is before start {self.start.isoformat()}")

    def to_span(self) -> Span:
        return (to_micros(self.start), to_micros(self.end))


def merge(spans: Iterable[Span]) -> list[Span]:
    """Normalise: sort, drop empty spans, and coalesce spans that overlap or touch."""
    merged: list[Span] = []
    append = merged.append
    current_lo = current_hi = None
    for lo, hi in sorted(spans):
        if lo >= hi:
            continue
        if current_hi is not None and lo <= current_hi:
            if hi > current_hi:
                current_hi = hi
            continue
        if current_lo is not None and current_hi is not None:
            append((current_lo, current_hi))
        current_lo, current_hi = lo, hi
    if current_lo is not None and current_hi is not None:
        append((current_lo, current_hi))
    return merged


def union(*span_lists: Iterable[Span]) -> list[Span]:
    """The normalised union of any number of span lists (normalised or not)."""
    return merge(span for spans in span_lists for span in spans)


def subtract(base: Sequence[Span], holes: Iterable[Span]) -> list[Span]:
    """`base` minus `holes`, normalised. `base` must be normalised; `holes` may be anything."""
    cut = merge(holes)
    if not cut:
        return list(base)
    result: list[Span] = []
    append = result.append
    count = len(cut)
    j = 0
    for lo, hi in base:
        # Holes that end at or before this span cannot touch it, nor any later span of `base`.
        while j < count and cut[j][1] <= lo:
            j += 1
        cursor = lo
        k = j
        while k < count:
            hole_lo, hole_hi = cut[k]
            if hole_lo >= hi:
                break
            if hole_lo > cursor:
                append((cursor, hole_lo))
            if hole_hi > cursor:
                cursor = hole_hi
            if cursor >= hi:
                break
            k += 1
        if cursor < hi:
            append((cursor, hi))
    return result


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The intersection of two normalised span lists, normalised."""
    result: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo < hi:
            result.append((lo, hi))
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return result


def intersect_all(span_lists: Iterable[Sequence[Span]]) -> list[Span]:
    """The intersection of one or more normalised span lists. Raises ValueError when given none."""
    iterator = iter(span_lists)
    try:
        result = list(next(iterator))
    except StopIteration:
        raise ValueError("intersect_all needs at least one span list") from None
    for spans in iterator:
        if not result:
            break
        result = intersect(result, spans)
    return result


def covers(windows: Iterable[Interval], interval: Interval) -> bool:
    """Whether the union of `windows` contains all of `interval` (touching windows count as continuous).

    The empty interval is always covered. This is what decides whether a booking survives the deletion of
    one of its clinician's availability windows: another window may still cover it.
    """
    if interval.start == interval.end:
        return True
    return not subtract([interval.to_span()], [window.to_span() for window in windows])
