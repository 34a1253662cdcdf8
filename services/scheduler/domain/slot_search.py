"""Pure MDT slot search over interval sets (contracts.md §6).

A slot is `duration` long (default 30 minutes), starts on the 15-minute UTC grid (minute 0/15/30/45, second
and microsecond 0), starts at or after `not_before`, ends at or before the deadline, and has one clinician of
every required specialty, each free for the whole slot. A clinician is free over `[s, s + duration)` when that
range lies inside the union of their availability windows (windows that touch or overlap merge into one
continuous interval; windows across midnight are ordinary intervals) and overlaps none of their busy intervals
(active bookings).

How the search avoids walking the horizon tick by tick:

1. Every datetime is converted once to integer microseconds since the epoch.
2. Per clinician: merge the windows, subtract the merged busy intervals. Each remaining free interval
   `[a, b)` can host a slot at every grid start `s` with `a <= s` and `s + duration <= b`, i.e. the range of
   grid indices `[ceil(a / 15 min), floor((b - duration) / 15 min)]`. A calendar searched again (the
   scheduler keeps its calendars in memory) remembers these ranges over all its windows, per duration, and
   later searches only cut them to their horizon.
3. Per specialty: the union of its clinicians' grid-index ranges ("some clinician can host a slot here").
4. Across specialties: the intersection of those unions. Its first index is the earliest slot.
5. Only then are clinicians chosen, for that one start: per specialty, among clinicians whose ranges contain
   it, the fewest `bookings_next_14_days`, then the lowest `clinician_id`.

Steps 2-4 run on consecutive pieces of the horizon (1, 4, 16, 64, ... days long; `_Search.boards`), earliest
first, and a search stops at the first piece that answers it. Restricting a search to a piece is exact: a
piece covering the starts `[c0, c1]` looks at the calendars over `[c0, c1 + duration)`, which is everything a
slot starting there can touch.

The cost is O(W log W) in the number of windows and busy intervals, independent of the horizon's length in
grid ticks. Grid indices are expanded to datetimes only at the very end (and, for `list_slot_starts`, only up
to `limit` of them).

Input validation: naive datetimes raise ValueError, as do a non-positive duration, an empty `required` set,
and two calendars with the same `clinician_id` (one clinician in two roles could be booked twice into the
same slot). Calendars of specialties that are not required are ignored. Aware datetimes in any timezone are
accepted; every datetime returned is in UTC.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count

from services.scheduler.domain.intervals import (
    EPOCH,
    Interval,
    Span,
    from_micros,
    intersect_all,
    merge,
    require_aware,
    subtract,
    to_micros,
)
from shared.contracts.codes import Specialty

_Starts = tuple[list[Span], list[int]]
"""A calendar's ranges of grid indices at which it can host a slot, and the ranges' ends (for bisect)."""
_Host = tuple["ClinicianCalendar", list[Span]]
"""A clinician who can host a slot in a piece of the horizon, and the grid-index ranges at which."""

GRID = timedelta(minutes=15)
GRID_MICROS = GRID // timedelta(microseconds=1)
DEFAULT_DURATION = timedelta(minutes=30)
DEFAULT_LIST_LIMIT = 200

NO_COMMON_SLOT_REASON = "no common slot"
"""The waitlist reason when every required specialty can be covered alone but never all at the same start
(`lacking_specialties` then returns [])."""


@dataclass(frozen=True, slots=True)
class ClinicianCalendar:
    """One clinician as the slot search sees them: availability windows, busy intervals and load.

    Treat it as immutable (make a new one, e.g. with `dataclasses.replace`, to change it): a calendar searched
    more than once remembers, per slot duration, the grid starts at which it can host such a slot. A caller
    that keeps calendars across searches (the scheduler's in-memory copy) then pays for the interval
    arithmetic once per calendar, and each search only cuts its horizon out of the result.
    """

    clinician_id: int
    name: str
    specialty: Specialty
    windows: Sequence[Interval]
    busy: Sequence[Interval]
    bookings_next_14_days: int
    # Per slot duration: the search that used it first, then, from a second search on, the ranges of
    # `_calendar_starts` (see `_Board.hosts`).
    _starts: dict[int, _Starts | int] = field(default_factory=dict, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class SlotChoice:
    """A chosen slot and its participants, ordered by specialty value."""

    start: datetime
    end: datetime
    participants: tuple[ClinicianCalendar, ...]


# ---------------------------------------------------------------------------------------------------------
# The 15-minute grid


def align_up(t: datetime) -> datetime:
    """The first 15-minute UTC boundary at or after `t` (identity, converted to UTC, when already on it)."""
    require_aware(t, "t")
    return from_micros(_ceil_div(to_micros(t), GRID_MICROS) * GRID_MICROS)


def is_on_grid(t: datetime) -> bool:
    """Whether `t` is on the 15-minute UTC grid (minute 0/15/30/45, second and microsecond 0)."""
    require_aware(t, "t")
    return to_micros(t) % GRID_MICROS == 0


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# ---------------------------------------------------------------------------------------------------------
# Preparation: from calendars to per-clinician and per-specialty ranges of valid grid starts

_ONE_MICROSECOND = timedelta(microseconds=1)
FIRST_PIECE = timedelta(days=1)
"""The horizon is searched in consecutive pieces of 1, 4, 16, 64, ... days (see `_Search.boards`)."""
PIECE_GROWTH = 4


class _Board:
    """One piece of the horizon. A specialty's hosts are computed on first use, so a search that is already
    decided (one specialty with no start in this piece) skips the others."""

    __slots__ = (
        "_calendars",
        "_hosts",
        "_starts",
        "after_last",
        "duration",
        "first",
        "hi",
        "lo",
        "not_before",
        "search",
        "until",
    )

    def __init__(
        self,
        calendars: dict[Specialty, list[ClinicianCalendar]],
        not_before: datetime,
        until: datetime,
        duration: timedelta,
        search: int,
    ) -> None:
        self._calendars = calendars
        self.search = search  # which search this piece belongs to
        self.not_before, self.until = not_before, until
        self.lo, self.hi = to_micros(not_before), to_micros(until)
        self.duration = duration // _ONE_MICROSECOND
        # The grid indices of the slots that lie inside [lo, hi): [first, after_last).
        self.first = _ceil_div(self.lo, GRID_MICROS)
        self.after_last = (self.hi - self.duration) // GRID_MICROS + 1
        self._hosts: dict[Specialty, list[_Host]] = {}
        self._starts: dict[Specialty, list[Span]] = {}

    def hosts(self, specialty: Specialty) -> list[_Host]:
        """The clinicians of `specialty` that can host a slot somewhere in this piece, with the grid-index
        ranges at which.

        In its first search a calendar is computed for each piece alone: most calendars (read from the
        database for one search) are searched once, and their windows may reach far beyond the pieces
        searched. From its second search on, its ranges over all its windows are remembered and cut to the
        piece: a slot at index `i` lies inside `[lo, hi)` exactly when `first <= i < after_last`, so that
        is what computing them from the piece's windows would give.
        """
        hosts = self._hosts.get(specialty)
        if hosts is None:
            hosts = []
            duration, first, after_last = self.duration, self.first, self.after_last
            if first < after_last:
                # Runs for every clinician of the specialty: the remembered case is inline.
                for calendar in self._calendars[specialty]:
                    remembered = calendar._starts.get(duration)
                    if type(remembered) is not tuple:
                        remembered = self._remembered(calendar)
                    if remembered is None:
                        starts = _piece_starts(
                            calendar, self.not_before, self.until, self.lo, self.hi, duration
                        )
                    else:
                        spans, ends = remembered
                        position = bisect_right(ends, first)  # the first range that ends after `first`
                        total = len(spans)
                        starts = []
                        while position < total:
                            a, b = spans[position]
                            if a >= after_last:
                                break
                            starts.append((a if a > first else first, b if b < after_last else after_last))
                            position += 1
                    if starts:
                        hosts.append((calendar, starts))
            self._hosts[specialty] = hosts
        return hosts

    def _remembered(self, calendar: ClinicianCalendar) -> _Starts | None:
        """The calendar's remembered ranges, computed on its second search; None in its first."""
        remembered = calendar._starts.get(self.duration)
        if remembered is None or remembered == self.search:
            calendar._starts[self.duration] = self.search
            return None
        if isinstance(remembered, int):
            remembered = calendar._starts[self.duration] = _calendar_starts(calendar, self.duration)
        return remembered

    def starts(self, specialty: Specialty) -> list[Span]:
        """Grid indices in this piece at which some clinician of `specialty` can host the slot."""
        starts = self._starts.get(specialty)
        if starts is None:
            pieces: list[Span] = []
            for _, spans in self.hosts(specialty):
                pieces += spans
            starts = self._starts[specialty] = merge(pieces)
        return starts

    def common(self, specialties: Sequence[Specialty]) -> list[Span]:
        """Grid indices at which all of `specialties` can be covered, stopping at the first empty set.

        Specialties with fewer clinicians go first: they are the cheapest to compute and the likeliest to be
        the bottleneck. The order does not change the result.
        """
        ordered = sorted(specialties, key=lambda s: (len(self._calendars[s]), s.value))
        return intersect_all(self.starts(specialty) for specialty in ordered)

    def choose(self, specialty: Specialty, index: int) -> ClinicianCalendar | None:
        """The clinician of `specialty` to book at grid `index`: fewest bookings, then lowest id."""
        best: ClinicianCalendar | None = None
        for calendar, spans in self.hosts(specialty):
            for a, b in spans:
                if a <= index < b:
                    if best is None or (calendar.bookings_next_14_days, calendar.clinician_id) < (
                        best.bookings_next_14_days,
                        best.clinician_id,
                    ):
                        best = calendar
                    break
        return best

    def slot(self, index: int, participants: Iterable[ClinicianCalendar]) -> SlotChoice:
        start = index * GRID_MICROS
        return SlotChoice(
            start=from_micros(start),
            end=from_micros(start + self.duration),
            participants=tuple(sorted(participants, key=lambda c: c.specialty.value)),
        )


_SEARCH_NUMBERS = count()


@dataclass(frozen=True, slots=True)
class _Search:
    """A validated request: the calendars of the required specialties, the horizon and the duration."""

    specialties: list[Specialty]
    calendars: dict[Specialty, list[ClinicianCalendar]]
    not_before: datetime
    deadline: datetime
    duration: timedelta
    number: int  # tells one search from another (see `_Board.hosts`)

    @classmethod
    def of(
        cls,
        calendars: Sequence[ClinicianCalendar],
        required: Collection[Specialty],
        *,
        not_before: datetime,
        deadline: datetime,
        duration: timedelta,
        deadline_name: str = "deadline",
    ) -> _Search:
        require_aware(not_before, "not_before")
        require_aware(deadline, deadline_name)
        if duration <= timedelta(0):
            raise ValueError(f"duration must be positive, got {duration}")
        specialties = _sorted_specialties(required)
        if not specialties:
            raise ValueError("required must name at least one specialty")
        by_specialty: dict[Specialty, list[ClinicianCalendar]] = {specialty: [] for specialty in specialties}
        seen: set[int] = set()
        for calendar in calendars:
            if calendar.clinician_id in seen:
                raise ValueError(f"clinician_id {calendar.clinician_id} appears in more than one calendar")
            seen.add(calendar.clinician_id)
            bucket = by_specialty.get(calendar.specialty)
            if bucket is not None:
                bucket.append(calendar)
        return cls(specialties, by_specialty, not_before, deadline, duration, next(_SEARCH_NUMBERS))

    def boards(self) -> Iterator[_Board]:
        """Boards for consecutive pieces of the horizon, earliest first.

        A piece covers the slot starts in `[c0, c1]` and so looks at the calendars over `[c0, c1 + duration)`;
        the next piece begins at `c1`. Pieces grow 1, 4, 16, ... days, so the common case (a slot within the
        first days) touches only the start of each calendar, while a search over the whole horizon does about
        the same work as a single pass plus a cheap filter per piece (log of the horizon in days).
        """
        start = self.not_before
        size = FIRST_PIECE
        while True:
            if size + self.duration >= self.deadline - start:  # (no datetime overflow near datetime.max)
                yield self._board(start, self.deadline)
                return
            yield self._board(start, start + size + self.duration)
            start += size
            size *= PIECE_GROWTH

    def _board(self, not_before: datetime, until: datetime) -> _Board:
        return _Board(self.calendars, not_before, until, self.duration, self.number)


def _sorted_specialties(specialties: Collection[Specialty]) -> list[Specialty]:
    return sorted({Specialty(specialty) for specialty in specialties}, key=lambda s: s.value)


def _grid_ranges(free: Iterable[Span], duration: int) -> list[Span]:
    """Each free interval `[a, b)` (microseconds) hosts a `duration` slot at the grid indices
    `[ceil(a / grid), floor((b - duration) / grid)]`; as normalised spans."""
    starts: list[Span] = []
    for a, b in free:
        first = -(-a // GRID_MICROS)
        after_last = (b - duration) // GRID_MICROS + 1
        if first < after_last:
            if starts and starts[-1][1] == first:
                # Ranges of neighbouring free intervals may touch (never overlap): keep them normalised.
                starts[-1] = (starts[-1][0], after_last)
            else:
                starts.append((first, after_last))
    return starts


def _piece_starts(
    calendar: ClinicianCalendar, not_before: datetime, until: datetime, lo: int, hi: int, duration: int
) -> list[Span]:
    """Grid-index ranges at which `calendar` is free for `duration` microseconds inside `[lo, hi)`.

    `lo` and `hi` are `not_before` and `until` in microseconds. Intervals wholly outside the range are skipped
    before conversion, since comparing datetimes costs a tenth of converting them.
    """
    epoch, unit = EPOCH, _ONE_MICROSECOND
    windows = merge(
        [
            ((window.start - epoch) // unit, (window.end - epoch) // unit)
            for window in calendar.windows
            if window.end > not_before and window.start < until
        ]
    )
    if not windows:
        return []
    # After the filter only the first window can begin before `lo` and only the last can end after `hi`.
    if windows[0][0] < lo:
        windows[0] = (lo, windows[0][1])
    if windows[-1][1] > hi:
        windows[-1] = (windows[-1][0], hi)
    busy = [
        ((interval.start - epoch) // unit, (interval.end - epoch) // unit)
        for interval in calendar.busy
        if interval.end > not_before and interval.start < until
    ]
    return _grid_ranges(subtract(windows, busy) if busy else windows, duration)


def _calendar_starts(calendar: ClinicianCalendar, duration: int) -> _Starts:
    """Grid-index ranges at which `calendar` is free for `duration` microseconds, over all its windows, and
    the ranges' ends."""
    epoch, unit = EPOCH, _ONE_MICROSECOND
    windows = merge([((w.start - epoch) // unit, (w.end - epoch) // unit) for w in calendar.windows])
    busy = [((b.start - epoch) // unit, (b.end - epoch) // unit) for b in calendar.busy]
    starts = _grid_ranges(subtract(windows, busy) if busy else windows, duration)
    return starts, [span[1] for span in starts]


# ---------------------------------------------------------------------------------------------------------
# Public searches


def find_earliest_slot(
    calendars: Sequence[ClinicianCalendar],
    required: Collection[Specialty],
    *,
    not_before: datetime,
    deadline: datetime,
    duration: timedelta = DEFAULT_DURATION,
) -> SlotChoice | None:
    """The earliest slot with one free clinician of every required specialty, or None when there is none.

    The slot starts on the grid at or after `not_before` and ends at or before `deadline` (a slot ending
    exactly at the deadline is allowed). Within a specialty the clinician with the fewest
    `bookings_next_14_days` wins, then the lowest `clinician_id`. Participants are ordered by specialty value.
    """
    search = _Search.of(calendars, required, not_before=not_before, deadline=deadline, duration=duration)
    for board in search.boards():
        common = board.common(search.specialties)
        if common:
            index = common[0][0]
            # Every specialty's union contains `index`, so every specialty has a clinician free then.
            participants = [board.choose(specialty, index) for specialty in search.specialties]
            return board.slot(index, (p for p in participants if p is not None))
    return None


def list_slot_starts(
    calendars: Sequence[ClinicianCalendar],
    required: Collection[Specialty],
    *,
    not_before: datetime,
    until: datetime,
    duration: timedelta = DEFAULT_DURATION,
    limit: int = DEFAULT_LIST_LIMIT,
) -> list[datetime]:
    """Every grid start at which all required specialties can be covered, earliest first, at most `limit`.

    Same rules as `find_earliest_slot` with `until` in the role of the deadline: a listed slot starts at or
    after `not_before` and ends at or before `until`. So `list_slot_starts(...)[0]` is the start that
    `find_earliest_slot` would choose. Ranges are expanded to grid points only here, and only up to `limit`.
    """
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    search = _Search.of(
        calendars, required, not_before=not_before, deadline=until, duration=duration, deadline_name="until"
    )
    indices: list[int] = []
    for board in search.boards():
        if len(indices) >= limit:
            break
        for first, after_last in board.common(search.specialties):
            # Neighbouring pieces share their boundary start: skip what the previous piece listed.
            begin = max(first, indices[-1] + 1) if indices else first
            indices.extend(range(begin, min(after_last, begin + limit - len(indices))))
            if len(indices) >= limit:
                break
    return [from_micros(index * GRID_MICROS) for index in indices]


def lacking_specialties(
    calendars: Sequence[ClinicianCalendar],
    required: Collection[Specialty],
    *,
    not_before: datetime,
    deadline: datetime,
    duration: timedelta = DEFAULT_DURATION,
) -> list[Specialty]:
    """The required specialties, sorted by value, for which no clinician alone has any valid start.

    This is what a waitlist entry reports. When it returns [] but `find_earliest_slot` returns None, every
    specialty can be covered on its own but never all at the same start: the waitlist reason is then
    `NO_COMMON_SLOT_REASON` ("no common slot") and `missing_specialties` stays empty.
    """
    search = _Search.of(calendars, required, not_before=not_before, deadline=deadline, duration=duration)
    lacking = set(search.specialties)
    for board in search.boards():
        lacking = {specialty for specialty in lacking if not board.starts(specialty)}
        if not lacking:
            break
    return _sorted_specialties(lacking)


def find_partial_emergency_slot(
    calendars: Sequence[ClinicianCalendar],
    required: Collection[Specialty],
    *,
    core: Collection[Specialty],
    not_before: datetime,
    deadline: datetime,
    duration: timedelta = DEFAULT_DURATION,
) -> tuple[SlotChoice, list[Specialty]] | None:
    """For an emergency without a full panel: the earliest slot that covers at least every `core` specialty.

    At that start, every other required specialty that has a free clinician is added (chosen by the usual
    tie-break: fewest bookings, then lowest id); the others are returned, sorted by value, as the missing
    specialties. The start is the earliest one that covers the core, not the one that covers the most
    specialties. Returns None when the core cannot be covered before the deadline. `core` must be non-empty
    and a subset of `required` (ValueError otherwise), so that the partial panel never books a specialty the
    case does not need. When a full panel exists at that start, the missing list is empty.
    """
    search = _Search.of(calendars, required, not_before=not_before, deadline=deadline, duration=duration)
    core_specialties = _sorted_specialties(core)
    if not core_specialties:
        raise ValueError("core must name at least one specialty")
    outside = [specialty.value for specialty in core_specialties if specialty not in search.specialties]
    if outside:
        raise ValueError(f"core specialties {outside} are not in required")
    for board in search.boards():
        common = board.common(core_specialties)
        if not common:
            continue
        index = common[0][0]
        participants: list[ClinicianCalendar] = []
        missing: list[Specialty] = []
        for specialty in search.specialties:
            chosen = board.choose(specialty, index)
            if chosen is None:
                missing.append(specialty)
            else:
                participants.append(chosen)
        return board.slot(index, participants), missing
    return None


__all__ = [
    "DEFAULT_DURATION",
    "GRID",
    "NO_COMMON_SLOT_REASON",
    "ClinicianCalendar",
    "SlotChoice",
    "align_up",
    "find_earliest_slot",
    "find_partial_emergency_slot",
    "is_on_grid",
    "lacking_specialties",
    "list_slot_starts",
]
