"""The interval-set search against a brute force that tries every 15-minute grid point of a small horizon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.scheduler.domain import (
    ClinicianCalendar,
    Interval,
    find_earliest_slot,
    find_partial_emergency_slot,
    lacking_specialties,
    list_slot_starts,
)
from shared.contracts.codes import Specialty

ORIGIN = datetime(2025, 3, 3, tzinfo=UTC)
HORIZON_MINUTES = 2 * 24 * 60  # two days, so searches cross the first one-day search piece
SPECIALTIES = (Specialty.radiology, Specialty.surgery, Specialty.radiation_oncology)


def minute(m: int) -> datetime:
    return ORIGIN + timedelta(minutes=m)


@dataclass(frozen=True)
class Case:
    calendars: list[ClinicianCalendar]
    required: frozenset[Specialty]
    not_before: int  # minutes after ORIGIN
    deadline: int
    duration: int


def _interval(longest: int) -> st.SearchStrategy[tuple[int, int]]:
    """[a, b) in minutes on a 5-minute raster, so grid and off-grid boundaries both occur."""
    return st.tuples(st.integers(0, HORIZON_MINUTES // 5), st.integers(1, longest // 5)).map(
        lambda t: (t[0] * 5, t[0] * 5 + t[1] * 5)
    )


@st.composite
def windows(draw: st.DrawFn) -> list[Interval]:
    """Up to 8 windows; some are cut in two touching halves, which must behave as one window."""
    result = []
    for a, b in draw(st.lists(_interval(720), min_size=1, max_size=8)):
        cut = draw(st.integers(a // 5, b // 5)) * 5
        if a < cut < b:
            result += [Interval(minute(a), minute(cut)), Interval(minute(cut), minute(b))]
        else:
            result.append(Interval(minute(a), minute(b)))
    return result


@st.composite
def cases(draw: st.DrawFn) -> Case:
    ids = draw(st.lists(st.integers(1, 50), unique=True, min_size=3, max_size=8))
    calendars = [
        ClinicianCalendar(
            clinician_id=clinician_id,
            name=f"Dr {clinician_id}",
            # The first three cover every specialty once; the rest are random.
            specialty=SPECIALTIES[position]
            if position < len(SPECIALTIES)
            else draw(st.sampled_from(SPECIALTIES)),
            windows=draw(windows()),
            busy=[Interval(minute(a), minute(b)) for a, b in draw(st.lists(_interval(90), max_size=4))],
            bookings_next_14_days=draw(st.integers(0, 2)),
        )
        for position, clinician_id in enumerate(ids)
    ]
    required = set(draw(st.sets(st.sampled_from(SPECIALTIES), min_size=1)))
    if draw(st.integers(0, 9)) == 0:
        required.add(Specialty.palliative_care)  # a specialty nobody has
    not_before = draw(st.integers(0, HORIZON_MINUTES // 2))
    deadline = not_before + draw(st.integers(0, HORIZON_MINUTES))
    duration = draw(st.sampled_from([15, 20, 30, 45, 60, 90]))
    return Case(calendars, frozenset(required), not_before, deadline, duration)


# --- the brute force: minutes as integers, every grid point, every minute of the slot --------------------------


def _m(t: datetime) -> int:
    return (t - ORIGIN) // timedelta(minutes=1)


class Brute:
    """Tries every 15-minute grid point; a clinician is free when every moment of the slot is in a window.

    Windows, busy intervals and durations all fall on whole 5-minute marks, so coverage is constant within
    each 5-minute block: checking the first minute of each block checks every moment.
    """

    def __init__(self, case: Case) -> None:
        assert all(_m(w.start) % 5 == 0 and _m(w.end) % 5 == 0 for c in case.calendars for w in c.windows)
        assert case.duration % 5 == 0
        self.case = case
        self.covered = {
            c.clinician_id: {x for w in c.windows for x in range(_m(w.start), _m(w.end), 5)}
            for c in case.calendars
        }

    def free(self, calendar: ClinicianCalendar, start: int) -> bool:
        end = start + self.case.duration
        if any(max(_m(b.start), start) < min(_m(b.end), end) for b in calendar.busy):
            return False
        covered = self.covered[calendar.clinician_id]
        return all(x in covered for x in range(start, end, 5))

    def grid_starts(self) -> list[int]:
        first = -(-self.case.not_before // 15) * 15
        return list(range(first, self.case.deadline - self.case.duration + 1, 15))

    def best(self, specialty: Specialty, start: int) -> ClinicianCalendar | None:
        free = [c for c in self.case.calendars if c.specialty is specialty and self.free(c, start)]
        return min(free, key=lambda c: (c.bookings_next_14_days, c.clinician_id), default=None)

    def panel(
        self, start: int, specialties: frozenset[Specialty] | None = None
    ) -> dict[Specialty, ClinicianCalendar | None]:
        return {s: self.best(s, start) for s in sorted(specialties or self.case.required)}

    def starts(self) -> list[int]:
        return [t for t in self.grid_starts() if all(self.panel(t).values())]


# --- the properties --------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(cases())
def test_find_earliest_slot_matches_brute_force(case: Case) -> None:
    result = find_earliest_slot(
        case.calendars,
        case.required,
        not_before=minute(case.not_before),
        deadline=minute(case.deadline),
        duration=timedelta(minutes=case.duration),
    )
    brute = Brute(case)
    expected = brute.starts()
    if not expected:
        assert result is None
        return
    assert result is not None
    start = expected[0]
    assert result.start == minute(start)
    assert result.end == minute(start + case.duration)
    panel = brute.panel(start)
    assert result.participants == tuple(panel[s] for s in sorted(panel, key=lambda s: s.value))


@settings(max_examples=100, deadline=None)
@given(cases())
def test_list_and_lacking_match_brute_force(case: Case) -> None:
    not_before, end, duration = (
        minute(case.not_before),
        minute(case.deadline),
        timedelta(minutes=case.duration),
    )
    listed = list_slot_starts(
        case.calendars, case.required, not_before=not_before, until=end, duration=duration, limit=10_000
    )
    brute = Brute(case)
    assert listed == [minute(t) for t in brute.starts()]
    lacking = lacking_specialties(
        case.calendars, case.required, not_before=not_before, deadline=end, duration=duration
    )
    assert lacking == sorted(
        s for s in case.required if not any(brute.best(s, t) for t in brute.grid_starts())
    )


@settings(max_examples=100, deadline=None)
@given(cases(), st.sets(st.sampled_from(SPECIALTIES), min_size=1))
def test_partial_emergency_matches_brute_force(case: Case, core: set[Specialty]) -> None:
    required = case.required | core
    case = Case(case.calendars, frozenset(required), case.not_before, case.deadline, case.duration)
    result = find_partial_emergency_slot(
        case.calendars,
        required,
        core=core,
        not_before=minute(case.not_before),
        deadline=minute(case.deadline),
        duration=timedelta(minutes=case.duration),
    )
    brute = Brute(case)
    covering = [t for t in brute.grid_starts() if all(brute.panel(t, frozenset(core)).values())]
    if not covering:
        assert result is None
        return
    assert result is not None
    slot, missing = result
    panel = brute.panel(covering[0])
    assert slot.start == minute(covering[0])
    assert slot.participants == tuple(c for s, c in sorted(panel.items(), key=lambda i: i[0].value) if c)
    assert missing == sorted(s for s, c in panel.items() if c is None)


@settings(max_examples=150, deadline=None)
@given(cases(), st.integers(0, HORIZON_MINUTES))
def test_calendars_searched_before_answer_the_same(case: Case, earlier: int) -> None:
    """A calendar searched a second time uses the grid ranges it remembered over all its windows (the
    scheduler keeps its calendars in memory and searches them for every booking): the answers stay exact."""
    not_before, end, duration = (
        minute(case.not_before),
        minute(case.deadline),
        timedelta(minutes=case.duration),
    )
    # A first search over another horizon, as for the booking before.
    lacking_specialties(
        case.calendars,
        SPECIALTIES,
        not_before=minute(earlier),
        deadline=minute(earlier + HORIZON_MINUTES),
        duration=duration,
    )
    brute = Brute(case)
    expected = brute.starts()
    result = find_earliest_slot(
        case.calendars, case.required, not_before=not_before, deadline=end, duration=duration
    )
    if not expected:
        assert result is None
    else:
        assert result is not None
        assert result.start == minute(expected[0])
        panel = brute.panel(expected[0])
        assert result.participants == tuple(panel[s] for s in sorted(panel, key=lambda s: s.value))
    listed = list_slot_starts(
        case.calendars, case.required, not_before=not_before, until=end, duration=duration, limit=10_000
    )
    assert listed == [minute(t) for t in expected]
