"""The placement decision of meetings.md §2, step by step, and its invariants as properties."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.scheduler.domain.placement import (
    CandidateMeeting,
    Huddle,
    Mode,
    Need,
    OnMeeting,
    Waitlisted,
    WaitReason,
    decide,
    still_fits,
)
from services.scheduler.domain.quorum import lacking
from tests.unit.scheduler.meetings_support import ALL, NOW, QUORUM, meeting


def need(
    urgency: str = "routine",
    hours: int = 336,
    required: tuple[str, ...] = ("surgery",),
    mode: Mode = Mode.full,
    excluded_meetings: frozenset[uuid.UUID] = frozenset(),
) -> Need:
    return Need(urgency, NOW + timedelta(hours=hours), frozenset(required), mode, excluded_meetings)


def test_an_emergency_gets_a_huddle_whatever_the_meetings() -> None:
    assert decide(need("emergency", 24), [meeting(3, cutoff_hours=0)], NOW) == Huddle()


def test_routine_goes_to_the_earliest_meeting_that_fits() -> None:
    tuesday, friday = meeting(72), meeting(100)
    placed = decide(need(), [friday, tuesday], NOW)
    assert placed == OnMeeting(tuesday, 6, late=False)


def test_routine_respects_the_listing_cutoff_but_urgent_does_not() -> None:
    soon, later = meeting(24), meeting(72)
    assert decide(need(), [soon, later], NOW) == OnMeeting(later, 6)
    assert decide(need("urgent", 72), [soon, later], NOW) == OnMeeting(soon, 6)


def test_a_locked_meeting_takes_urgent_cases_only() -> None:
    locked, open_ = meeting(60, status="locked"), meeting(100)
    assert decide(need(), [locked, open_], NOW) == OnMeeting(open_, 6)
    assert decide(need("urgent", 72), [locked, open_], NOW) == OnMeeting(locked, 6)


def test_finished_cancelled_and_started_meetings_take_nothing() -> None:
    for m in (meeting(72, status="finished"), meeting(72, status="cancelled"), meeting(-1, cutoff_hours=0)):
        assert isinstance(decide(need(), [m], NOW), Waitlisted)


def test_quorum_includes_the_cases_required_specialties() -> None:
    no_palliative = meeting(72, present=[s for s in ALL if s != "palliative_care"])
    later = meeting(170)
    assert decide(need(required=("palliative_care",)), [no_palliative, later], NOW) == OnMeeting(later, 6)


def test_capacity_is_minutes_for_the_cases_mode() -> None:
    almost_full = meeting(72, capacity=60, used=58)
    later = meeting(170)
    assert decide(need(), [almost_full, later], NOW) == OnMeeting(later, 6)
    soc = need(mode=Mode.standard_of_care)
    assert decide(soc, [almost_full, later], NOW) == OnMeeting(almost_full, 1)


def test_urgent_without_a_meeting_before_the_deadline_tries_a_huddle_then_a_late_listing() -> None:
    after_deadline = meeting(100)
    assert decide(need("urgent", 72), [after_deadline], NOW) == Huddle(
        fallback=OnMeeting(after_deadline, 6, late=True)
    )


def test_routine_without_a_meeting_before_the_deadline_is_listed_late() -> None:
    late = meeting(400)
    assert decide(need(), [late], NOW) == OnMeeting(late, 6, late=True)


def test_late_listing_stays_within_the_horizon() -> None:
    beyond = meeting(24 * 7 * 13)
    assert decide(need(), [beyond], NOW) == Waitlisted(
        WaitReason.no_quorum, tuple(sorted(QUORUM | {"surgery"}))
    )


def test_waitlist_names_the_specialties_lacking_everywhere() -> None:
    meetings = [meeting(72, present=("radiology", "surgery")), meeting(170, present=("radiology",))]
    placed = decide(need(), meetings, NOW)
    assert placed == Waitlisted(WaitReason.no_quorum, ("radiation_oncology",))


def test_waitlist_says_no_capacity_when_a_meeting_had_quorum() -> None:
    assert decide(need(), [meeting(72, capacity=10, used=10)], NOW) == Waitlisted(WaitReason.no_capacity)


def test_no_meeting_at_all_waitlists_with_every_needed_specialty() -> None:
    assert decide(need(), [], NOW) == Waitlisted(WaitReason.no_quorum, ("surgery",))


def test_a_deferred_case_never_returns_to_the_meeting_it_was_not_ready_for() -> None:
    first, second = meeting(72), meeting(170)
    placed = decide(need(excluded_meetings=frozenset({first.meeting_id})), [first, second], NOW)
    assert placed == OnMeeting(second, 6)


def test_with_several_teams_the_first_meeting_wins_and_ties_go_to_the_lowest_team() -> None:
    a, b = meeting(72, team_id=2), meeting(72, team_id=1)
    assert decide(need(), [a, b], NOW) == OnMeeting(b, 6)
    c = meeting(70, team_id=3)
    assert decide(need(), [a, b, c], NOW) == OnMeeting(c, 6)


def test_a_listing_still_fits_with_fewer_minutes_or_specialties_but_not_after_the_new_deadline() -> None:
    m = meeting(72, capacity=6, used=6)
    assert still_fits(need(), m, NOW, late=False, minutes_there=6)
    assert not still_fits(need("urgent", 48), m, NOW, late=False, minutes_there=6)
    assert still_fits(need("urgent", 48), m, NOW, late=True, minutes_there=6)
    m_without = meeting(72, present=("radiology", "radiation_oncology", "surgery"))
    assert not still_fits(need(required=("palliative_care",)), m_without, NOW, late=False, minutes_there=6)


specialty = st.sampled_from(ALL)


@st.composite
def meetings(draw: st.DrawFn) -> list[CandidateMeeting]:
    return [
        meeting(
            draw(st.integers(-10, 24 * 7 * 14)),
            team_id=draw(st.integers(1, 3)),
            status=draw(st.sampled_from(["scheduled", "locked", "finished", "cancelled"])),
            capacity=(capacity := draw(st.integers(1, 30))),
            used=draw(st.integers(0, capacity)),
            present=draw(st.lists(specialty, max_size=5)),
        )
        for _ in range(draw(st.integers(0, 6)))
    ]


@settings(max_examples=300, deadline=None)
@given(
    meetings(),
    st.sampled_from(["urgent", "routine"]),
    st.integers(1, 400),
    st.frozensets(specialty, max_size=3),
    st.sampled_from(list(Mode)),
)
def test_a_placement_never_breaks_capacity_or_quorum(
    candidates: list[CandidateMeeting], urgency: str, hours: int, required: frozenset[str], mode: Mode
) -> None:
    case = Need(urgency, NOW + timedelta(hours=hours), required, mode)
    placed = decide(case, candidates, NOW)
    chosen = placed.fallback if isinstance(placed, Huddle) else placed
    if isinstance(chosen, OnMeeting):
        m = chosen.meeting
        assert m.used_minutes + chosen.minutes <= m.capacity_minutes
        assert not lacking(m.attendees, m.quorum_specialties | required)
        assert m.start > NOW
        assert m.status == "scheduled" or (m.status == "locked" and urgency == "urgent")
        assert chosen.late == (m.start >= case.deadline)
        if urgency == "routine":
            assert m.start >= NOW + m.listing_cutoff
        # no earlier meeting would have done on time
        if not chosen.late:
            for other in candidates:
                if (other.start, other.team_id) < (m.start, m.team_id):
                    assert decide(case, [other], NOW) != OnMeeting(other, chosen.minutes)
    elif isinstance(chosen, Waitlisted):
        assert chosen.reason in (WaitReason.no_quorum, WaitReason.no_capacity)
    assert not (urgency == "routine" and isinstance(placed, Huddle))
