from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from services.scheduler.domain import (
    NO_COMMON_SLOT_REASON,
    ClinicianCalendar,
    Interval,
    SlotChoice,
    align_up,
    expand_weekly_template,
    find_earliest_slot,
    find_partial_emergency_slot,
    is_on_grid,
    lacking_specialties,
    list_slot_starts,
)
from shared.contracts.codes import Specialty
from tests.unit.scheduler.calendars import at, clinician

RAD = Specialty.radiology
SURG = Specialty.surgery
RADONC = Specialty.radiation_oncology
PALL = Specialty.palliative_care
HOUR = timedelta(hours=1)


def earliest(
    calendars: list[ClinicianCalendar],
    required: Collection[Specialty],
    not_before: datetime,
    deadline: datetime,
    duration: timedelta = timedelta(minutes=30),
) -> SlotChoice | None:
    return find_earliest_slot(
        calendars, required, not_before=not_before, deadline=deadline, duration=duration
    )


# --- the grid -------------------------------------------------------------------------------------------


def test_align_up_and_is_on_grid() -> None:
    assert align_up(at(9, 0)) == at(9, 0)
    assert align_up(at(9, 1)) == at(9, 15)
    assert align_up(at(9, 14) + timedelta(seconds=59)) == at(9, 15)
    assert align_up(at(9, 15) + timedelta(microseconds=1)) == at(9, 30)
    assert align_up(at(23, 50)) == at(0, 0, day=1)
    assert is_on_grid(at(9, 45))
    assert not is_on_grid(at(9, 45) + timedelta(seconds=1))
    assert not is_on_grid(at(9, 10))


def test_grid_is_utc_even_for_other_offsets() -> None:
    # 10:00 at +05:45 (Kathmandu) is 04:15Z: on the UTC grid although local minutes are 00.
    kathmandu = timezone(timedelta(hours=5, minutes=45))
    assert is_on_grid(datetime(2025, 1, 6, 10, 0, tzinfo=kathmandu))
    aligned = align_up(datetime(2025, 1, 6, 10, 5, tzinfo=kathmandu))
    assert aligned == at(4, 30)
    assert aligned.tzinfo is UTC


def test_grid_helpers_reject_naive() -> None:
    with pytest.raises(ValueError):
        align_up(datetime(2025, 1, 6, 9))
    with pytest.raises(ValueError):
        is_on_grid(datetime(2025, 1, 6, 9))


# --- windows ----------------------------------------------------------------------------------------------


def test_touching_windows_form_one_continuous_interval() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(10)), (at(10), at(11))])]
    slot = earliest(calendars, {RAD}, at(9, 30), at(18), duration=HOUR)
    assert slot is not None
    assert (slot.start, slot.end) == (at(9, 30), at(10, 30))


def test_overlapping_windows_merge() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(10, 15)), (at(10), at(11)), (at(9, 30), at(9, 45))])]
    slot = earliest(calendars, {RAD}, at(8), at(18), duration=timedelta(minutes=120))
    assert slot is not None
    assert (slot.start, slot.end) == (at(9), at(11))


def test_windows_of_different_clinicians_do_not_merge() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(10))]), clinician(2, RAD, [(at(10), at(11))])]
    assert earliest(calendars, {RAD}, at(8), at(18), duration=HOUR + timedelta(minutes=15)) is None


def test_window_spanning_midnight() -> None:
    calendars = [clinician(1, RAD, [(at(23), at(1, day=1))], busy=[(at(23), at(23, 45))])]
    slot = earliest(calendars, {RAD}, at(0), at(12, day=1), duration=HOUR)
    assert slot is not None
    assert (slot.start, slot.end) == (at(23, 45), at(0, 45, day=1))


def test_windows_touching_at_midnight() -> None:
    calendars = [clinician(1, RAD, [(at(23, 30), at(0, day=1)), (at(0, day=1), at(0, 30, day=1))])]
    slot = earliest(calendars, {RAD}, at(0), at(12, day=1), duration=HOUR)
    assert slot is not None
    assert slot.start == at(23, 30)


def test_slot_straddling_the_first_search_piece_boundary() -> None:
    # The search looks at the first day first; a slot that starts just before that day ends must be found.
    calendars = [clinician(1, RAD, [(at(23, 45), at(0, 45, day=1))])]
    assert earliest(calendars, {RAD}, at(0), at(0, day=30), duration=HOUR) is not None
    calendars = [clinician(1, RAD, [(at(0, day=20), at(1, day=20))])]
    slot = earliest(calendars, {RAD}, at(0, 7), at(0, day=30), duration=HOUR)
    assert slot is not None
    assert slot.start == at(0, day=20)


def test_busy_bookings_carve_holes() -> None:
    calendars = [
        clinician(1, RAD, [(at(9), at(12))], busy=[(at(9), at(9, 45)), (at(10), at(10, 30))]),
    ]
    # 09:45 is free, but 09:45-10:15 runs into the 10:00 booking.
    slot = earliest(calendars, {RAD}, at(8), at(18))
    assert slot is not None
    assert slot.start == at(10, 30)


def test_busy_ending_off_grid_pushes_start_to_next_boundary() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(12))], busy=[(at(9), at(9, 50))])]
    slot = earliest(calendars, {RAD}, at(8), at(18))
    assert slot is not None
    assert slot.start == at(10)


def test_booking_adjacent_to_slot_does_not_block_it() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(12))], busy=[(at(9), at(9, 30)), (at(10), at(11))])]
    slot = earliest(calendars, {RAD}, at(8), at(18))
    assert slot is not None
    assert (slot.start, slot.end) == (at(9, 30), at(10))


def test_window_off_grid_start() -> None:
    calendars = [clinician(1, RAD, [(at(9, 5), at(10, 5))])]
    assert earliest(calendars, {RAD}, at(8), at(18), duration=HOUR) is None
    slot = earliest(calendars, {RAD}, at(8), at(18), duration=timedelta(minutes=45))
    assert slot is not None
    assert slot.start == at(9, 15)


# --- deadline and not_before -------------------------------------------------------------------------------


def test_deadline_exactly_at_slot_end_is_allowed() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(12))])]
    slot = earliest(calendars, {RAD}, at(9), at(9, 30))
    assert slot is not None
    assert (slot.start, slot.end) == (at(9), at(9, 30))


def test_deadline_one_minute_before_slot_end_is_not() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(12))])]
    assert earliest(calendars, {RAD}, at(9), at(9, 29)) is None


def test_not_before_off_grid_rounds_up() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(12))])]
    slot = earliest(calendars, {RAD}, at(9, 7), at(18))
    assert slot is not None
    assert slot.start == at(9, 15)


def test_not_before_after_deadline_gives_none() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(12))])]
    assert earliest(calendars, {RAD}, at(11), at(10)) is None


def test_other_offsets_are_accepted_and_results_are_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    calendars = [clinician(1, RAD, [(datetime(2025, 1, 6, 11, tzinfo=plus_two), at(12))])]
    slot = earliest(calendars, {RAD}, datetime(2025, 1, 6, 10, tzinfo=plus_two), at(18))
    assert slot is not None
    assert slot.start == at(9)
    assert slot.start.tzinfo is UTC and slot.end.tzinfo is UTC


# --- choosing clinicians ----------------------------------------------------------------------------------


def test_fewest_bookings_wins_then_lowest_id() -> None:
    window = [(at(9), at(12))]
    calendars = [
        clinician(7, RAD, window, bookings=3),
        clinician(5, RAD, window, bookings=1),
        clinician(9, RAD, window, bookings=1),
        clinician(2, RAD, window, bookings=4),
    ]
    slot = earliest(calendars, {RAD}, at(9), at(18))
    assert slot is not None
    assert [p.clinician_id for p in slot.participants] == [5]


def test_lowest_id_on_equal_bookings() -> None:
    window = [(at(9), at(12))]
    calendars = [clinician(12, RAD, window), clinician(3, RAD, window), clinician(8, RAD, window)]
    slot = earliest(calendars, {RAD}, at(9), at(18))
    assert slot is not None
    assert slot.participants[0].clinician_id == 3


def test_earliest_start_beats_fewer_bookings() -> None:
    calendars = [
        clinician(1, RAD, [(at(9), at(12))], bookings=9),
        clinician(2, RAD, [(at(10), at(12))], bookings=0),
    ]
    slot = earliest(calendars, {RAD}, at(9), at(18))
    assert slot is not None
    assert (slot.start, slot.participants[0].clinician_id) == (at(9), 1)


def test_tie_break_only_among_clinicians_free_at_that_start() -> None:
    calendars = [
        clinician(1, RAD, [(at(9), at(12))], busy=[(at(9), at(9, 30))], bookings=0),
        clinician(2, RAD, [(at(9), at(12))], bookings=5),
        clinician(3, SURG, [(at(9), at(12))]),
    ]
    slot = earliest(calendars, {RAD, SURG}, at(9), at(18))
    assert slot is not None
    assert slot.start == at(9)
    assert [p.clinician_id for p in slot.participants] == [2, 3]


def test_participants_ordered_by_specialty_value() -> None:
    window = [(at(9), at(12))]
    calendars = [clinician(1, SURG, window), clinician(2, RAD, window), clinician(3, PALL, window)]
    slot = earliest(calendars, [SURG, RAD, PALL], at(9), at(18))
    assert slot is not None
    assert [p.specialty for p in slot.participants] == [PALL, RAD, SURG]
    assert all(isinstance(p, ClinicianCalendar) for p in slot.participants)


def test_calendars_of_other_specialties_are_ignored() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(12))]), clinician(2, SURG, [(at(8), at(12))])]
    slot = earliest(calendars, {RAD}, at(8), at(18))
    assert slot is not None
    assert [p.clinician_id for p in slot.participants] == [1]


def test_common_start_across_specialties() -> None:
    calendars = [
        clinician(1, RAD, [(at(9), at(11, 30))]),
        clinician(2, SURG, [(at(10, 15), at(13))]),
        clinician(3, RADONC, [(at(8), at(17))], busy=[(at(10), at(10, 40))]),
    ]
    slot = earliest(calendars, {RAD, SURG, RADONC}, at(8), at(18))
    assert slot is not None
    assert (slot.start, slot.end) == (at(10, 45), at(11, 15))
    assert [p.clinician_id for p in slot.participants] == [3, 1, 2]


# --- nothing to find, bad input ------------------------------------------------------------------------------


def test_specialty_without_clinicians() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(12))])]
    assert earliest(calendars, {RAD, SURG}, at(8), at(18)) is None
    assert lacking_specialties(calendars, {RAD, SURG}, not_before=at(8), deadline=at(18)) == [SURG]


def test_empty_required_set_is_rejected() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(12))])]
    with pytest.raises(ValueError, match="at least one specialty"):
        earliest(calendars, set(), at(8), at(18))
    with pytest.raises(ValueError, match="at least one specialty"):
        list_slot_starts(calendars, [], not_before=at(8), until=at(18))
    with pytest.raises(ValueError, match="at least one specialty"):
        lacking_specialties(calendars, [], not_before=at(8), deadline=at(18))


@pytest.mark.parametrize("which", ["not_before", "deadline"])
def test_naive_datetime_rejected(which: str) -> None:
    calendars = [clinician(1, RAD, [(at(9), at(12))])]
    not_before, deadline = at(8), at(18)
    if which == "not_before":
        not_before = not_before.replace(tzinfo=None)
    else:
        deadline = deadline.replace(tzinfo=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        find_earliest_slot(calendars, {RAD}, not_before=not_before, deadline=deadline)


def test_naive_window_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        clinician(1, RAD, [(datetime(2025, 1, 6, 9), at(12))])


def test_duplicate_clinician_ids_rejected() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(12))]), clinician(1, SURG, [(at(9), at(12))])]
    with pytest.raises(ValueError, match="more than one calendar"):
        earliest(calendars, {RAD, SURG}, at(8), at(18))


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(minutes=-15)])
def test_non_positive_duration_rejected(duration: timedelta) -> None:
    with pytest.raises(ValueError, match="duration"):
        earliest([clinician(1, RAD, [(at(9), at(12))])], {RAD}, at(8), at(18), duration=duration)


# --- daylight saving time (Europe/London) ---------------------------------------------------------------------

LONDON = ZoneInfo("Europe/London")


def _weekday_calendar(clinician_id: int, specialty: Specialty, first: date, last: date) -> ClinicianCalendar:
    windows: list[Interval] = []
    for weekday in range(5):
        windows += expand_weekly_template(weekday, time(9), time(17), LONDON, first, last)
    return ClinicianCalendar(clinician_id, f"Dr {clinician_id}", specialty, windows, [], 0)


def test_spring_forward_moves_local_nine_to_eight_utc() -> None:
    # Clocks go forward on Sunday 2025-03-30: Friday 09:00 local is 09:00Z, Monday 09:00 local is 08:00Z.
    calendars = [_weekday_calendar(1, RAD, date(2025, 3, 24), date(2025, 4, 4))]
    friday = find_earliest_slot(
        calendars,
        {RAD},
        not_before=datetime(2025, 3, 28, tzinfo=UTC),
        deadline=datetime(2025, 4, 5, tzinfo=UTC),
    )
    monday = find_earliest_slot(
        calendars,
        {RAD},
        not_before=datetime(2025, 3, 29, tzinfo=UTC),
        deadline=datetime(2025, 4, 5, tzinfo=UTC),
    )
    assert friday is not None and friday.start == datetime(2025, 3, 28, 9, tzinfo=UTC)
    assert monday is not None and monday.start == datetime(2025, 3, 31, 8, tzinfo=UTC)


def test_autumn_back_moves_local_nine_to_nine_utc() -> None:
    # Clocks go back on Sunday 2025-10-26: Friday 09:00 local is 08:00Z, Monday 09:00 local is 09:00Z.
    calendars = [_weekday_calendar(1, RAD, date(2025, 10, 20), date(2025, 10, 31))]
    friday = find_earliest_slot(
        calendars,
        {RAD},
        not_before=datetime(2025, 10, 24, tzinfo=UTC),
        deadline=datetime(2025, 11, 1, tzinfo=UTC),
    )
    monday = find_earliest_slot(
        calendars,
        {RAD},
        not_before=datetime(2025, 10, 25, tzinfo=UTC),
        deadline=datetime(2025, 11, 1, tzinfo=UTC),
    )
    assert friday is not None and friday.start == datetime(2025, 10, 24, 8, tzinfo=UTC)
    assert monday is not None and monday.start == datetime(2025, 10, 27, 9, tzinfo=UTC)


def test_last_slot_of_summer_day_ends_at_local_five() -> None:
    calendars = [_weekday_calendar(1, RAD, date(2025, 6, 2), date(2025, 6, 2))]
    starts = list_slot_starts(
        calendars, {RAD}, not_before=datetime(2025, 6, 2, tzinfo=UTC), until=datetime(2025, 6, 3, tzinfo=UTC)
    )
    assert starts[0] == datetime(2025, 6, 2, 8, tzinfo=UTC)
    assert starts[-1] == datetime(2025, 6, 2, 15, 30, tzinfo=UTC)


# --- list_slot_starts -----------------------------------------------------------------------------------------


def test_list_slot_starts_expands_common_ranges() -> None:
    calendars = [
        clinician(1, RAD, [(at(9), at(10, 45))]),
        clinician(2, SURG, [(at(9, 30), at(12))], busy=[(at(9, 45), at(10))]),
    ]
    starts = list_slot_starts(calendars, {RAD, SURG}, not_before=at(8), until=at(18))
    assert starts == [at(10), at(10, 15)]
    slot = earliest(calendars, {RAD, SURG}, at(8), at(18))
    assert slot is not None and slot.start == starts[0]


def test_list_slot_starts_limit() -> None:
    calendars = [clinician(1, RAD, [(at(0), at(0, day=60))])]
    starts = list_slot_starts(calendars, {RAD}, not_before=at(0), until=at(0, day=60), limit=200)
    assert len(starts) == 200
    assert starts[0] == at(0)
    assert all(b - a == timedelta(minutes=15) for a, b in pairwise(starts))
    assert list_slot_starts(calendars, {RAD}, not_before=at(0), until=at(0, day=60), limit=0) == []
    with pytest.raises(ValueError):
        list_slot_starts(calendars, {RAD}, not_before=at(0), until=at(1), limit=-1)


def test_list_slot_starts_has_no_duplicates_across_search_pieces() -> None:
    calendars = [clinician(1, RAD, [(at(0), at(0, day=10))])]
    starts = list_slot_starts(calendars, {RAD}, not_before=at(0), until=at(0, day=10), limit=10_000)
    assert len(starts) == len(set(starts)) == 10 * 96 - 1
    assert starts == sorted(starts)


# --- lacking specialties --------------------------------------------------------------------------------------


def test_lacking_specialties_sorted() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(9, 20))]), clinician(2, PALL, [(at(9), at(12))])]
    lacking = lacking_specialties(calendars, {SURG, RAD, PALL}, not_before=at(8), deadline=at(18))
    assert lacking == [RAD, SURG]


def test_each_alone_but_not_together_is_no_common_slot() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(10))]), clinician(2, SURG, [(at(11), at(12))])]
    assert lacking_specialties(calendars, {RAD, SURG}, not_before=at(8), deadline=at(18)) == []
    assert earliest(calendars, {RAD, SURG}, at(8), at(18)) is None
    assert NO_COMMON_SLOT_REASON == "no common slot"


def test_lacking_respects_deadline() -> None:
    calendars = [clinician(1, RAD, [(at(9), at(10))])]
    assert lacking_specialties(calendars, {RAD}, not_before=at(8), deadline=at(9, 29)) == [RAD]


# --- partial emergency panel ----------------------------------------------------------------------------------


def test_partial_emergency_slot_covers_core_and_whatever_else_is_free() -> None:
    calendars = [
        clinician(1, SURG, [(at(10), at(12))]),
        clinician(2, RADONC, [(at(9), at(12))]),
        clinician(3, RAD, [(at(10), at(10, 30))], bookings=2),
        clinician(4, RAD, [(at(10), at(10, 30))], bookings=1),
        clinician(5, PALL, [(at(14), at(15))]),
    ]
    required = {SURG, RADONC, RAD, PALL, Specialty.physiatry}
    assert earliest(calendars, required, at(8), at(18)) is None
    result = find_partial_emergency_slot(
        calendars, required, core={SURG, RADONC}, not_before=at(8), deadline=at(18)
    )
    assert result is not None
    slot, missing = result
    assert slot.start == at(10)
    assert [p.clinician_id for p in slot.participants] == [2, 4, 1]  # radiation_oncology, radiology, surgery
    assert missing == [PALL, Specialty.physiatry]


def test_partial_emergency_slot_none_without_core() -> None:
    calendars = [clinician(1, SURG, [(at(10), at(12))]), clinician(2, RAD, [(at(9), at(12))])]
    assert (
        find_partial_emergency_slot(
            calendars, {SURG, RADONC, RAD}, core={SURG, RADONC}, not_before=at(8), deadline=at(18)
        )
        is None
    )


def test_partial_emergency_slot_with_full_panel_has_nothing_missing() -> None:
    calendars = [clinician(1, SURG, [(at(10), at(12))]), clinician(2, RADONC, [(at(9), at(12))])]
    result = find_partial_emergency_slot(
        calendars, {SURG, RADONC}, core={SURG, RADONC}, not_before=at(8), deadline=at(18)
    )
    assert result is not None
    assert result[1] == []
    assert result[0] == earliest(calendars, {SURG, RADONC}, at(8), at(18))


def test_partial_emergency_core_must_be_within_required() -> None:
    calendars = [clinician(1, SURG, [(at(10), at(12))])]
    with pytest.raises(ValueError, match="not in required"):
        find_partial_emergency_slot(calendars, {SURG}, core={SURG, RADONC}, not_before=at(8), deadline=at(18))
    with pytest.raises(ValueError, match="core"):
        find_partial_emergency_slot(calendars, {SURG}, core=set(), not_before=at(8), deadline=at(18))


# --- scale (correctness only; timing lives in bench/slot_search_bench.py) ------------------------------------


def test_500_clinicians_over_90_days_finds_a_slot() -> None:
    specialties = list(Specialty)
    calendars = []
    for clinician_id in range(1, 501):
        specialty = specialties[clinician_id % len(specialties)]
        windows = [(at(8, day=day), at(16, day=day)) for day in range(90)]
        # Everyone of physiatry is booked solid for the first 60 days; others have a meeting each morning.
        if specialty is Specialty.physiatry:
            busy = [(at(8, day=day), at(16, day=day)) for day in range(60)]
        else:
            busy = [(at(8, day=day), at(9, day=day)) for day in range(90)]
        calendars.append(clinician(clinician_id, specialty, windows, busy, bookings=clinician_id % 5))
    slot = find_earliest_slot(calendars, set(specialties), not_before=at(0), deadline=at(0, day=90))
    assert slot is not None
    assert slot.start == at(9, day=60)
    assert len(slot.participants) == 7
    by_specialty = {p.specialty: p for p in slot.participants}
    # Fewest bookings: ids with id % 5 == 0; lowest such id within each specialty (id % 7 fixes specialty).
    for specialty, chosen in by_specialty.items():
        candidates = [c for c in calendars if c.specialty is specialty]
        assert chosen == min(candidates, key=lambda c: (c.bookings_next_14_days, c.clinician_id))
