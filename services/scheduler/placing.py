"""A recommendation arrives, or a case needs a place again: the case's placement (meetings.md §2).

`domain/placement.py` decides (meeting, huddle, late listing or waitlist); this module reads what it needs,
writes the decision through listing.py (meetings) or service.py (huddles, contracts.md §6), and announces it
on mdt-bookings in the same transaction (outbox). A redelivered event changes nothing: the consumer's inbox
drops it, and an older case version than one seen is ignored.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler import placement_state, service
from services.scheduler.adapters import agenda_writes, booking_writes, meeting_reads, outcome_writes
from services.scheduler.adapters.tables import BookingRecord
from services.scheduler.domain.placement import Huddle, Mode, Need, OnMeeting, Placement, Waitlisted, decide
from services.scheduler.domain.readiness import from_case as readiness_from_case
from services.scheduler.listing import booking_ids_of, keep_if_fits, list_on, take_off
from services.scheduler.placement_state import BookingRow, NewBooking
from services.scheduler.service import BookingPolicy
from services.scheduler.views import Listed
from shared.contracts.booking import BookingStatus, Participant
from shared.contracts.case import CaseSubmission
from shared.contracts.codes import Urgency
from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.recommendation import Recommendation
from shared.db.driver import DriverConnection, driver_connection
from shared.db.unit_of_work import UnitOfWork

# Each refusal by the database (another placement took the last minutes first) re-reads the meetings.
MAX_LISTING_ATTEMPTS = 16


def mode_of(recommendation: Recommendation) -> Mode:
    """The recommendation's `discussion` (ruleset 2026.12, clinical-rules.md §7); `full` when absent, so that
    recommendations of earlier rulesets get a full discussion."""
    return Mode.full if recommendation.discussion is None else Mode(recommendation.discussion.value)


def need_of(recommendation: Recommendation, mode: Mode) -> Need:
    return Need(
        urgency=recommendation.urgency.value,
        deadline=recommendation.evaluated_at + timedelta(hours=recommendation.book_within_hours),
        required_specialties=frozenset(s.value for s in recommendation.required_specialties),
        mode=mode,
    )


def need_of_booking(booking: BookingRecord) -> Need:
    return Need(
        urgency=booking.urgency,
        deadline=booking.deadline,
        required_specialties=frozenset(booking.required_specialties),
        mode=Mode(booking.mode),
    )


async def announce_shifted(session: AsyncSession, policy: BookingPolicy, item_ids: list[UUID]) -> None:
    """Items whose estimated start moved by more than 15 minutes are rescheduled (meetings.md §4)."""
    for booking_id in await booking_ids_of(session, item_ids):
        booking = await session.get(BookingRecord, booking_id)
        if booking is not None:
            await service.announce(session, policy, EventType.booking_rescheduled, booking)


# Meetings are read up to this long after the deadline first (attendance means every member's windows): a
# place is nearly always found there. Only a case that would be waitlisted reads the whole horizon.
FIRST_READ_AFTER_DEADLINE = timedelta(days=14)


async def _decide(
    connection: DriverConnection, need: Need, now: datetime
) -> tuple[list[meeting_reads.MeetingFacts], Placement, bool]:
    """`decide` over the open meetings, and whether its fallback is final. Exact with the shorter read:
    every meeting before its end is read, so the earliest one that fits there (on time, or late) is the
    earliest one that fits at all. A huddle is exact with it too (no meeting fits before the deadline); its
    fallback is not, but is only needed when no huddle is found, so the whole horizon is read then."""
    if need.urgency == Urgency.emergency.value:
        return [], Huddle(), True  # meetings are not used, whatever their dates (step 1)
    meetings = await meeting_reads.open_meetings(connection, now, need.deadline + FIRST_READ_AFTER_DEADLINE)
    decision = decide(need, [m.candidate for m in meetings], now)
    chosen = decision.fallback if isinstance(decision, Huddle) else decision
    if isinstance(chosen, OnMeeting):
        return meetings, decision, True
    if isinstance(decision, Huddle):
        return meetings, decision, False
    meetings = await meeting_reads.open_meetings(connection, now)
    return meetings, decide(need, [m.candidate for m in meetings], now), True


async def place_case(
    session: AsyncSession,
    booking: BookingRow,
    need: Need,
    policy: BookingPolicy,
    now: datetime,
    *,
    calendar_version: int | None = None,
    facts: tuple[frozenset[UUID], dict[str, bool | None]] | None = None,
) -> list[Participant] | Listed | None:
    """Places a case that has no active placement, by the steps of meetings.md §2, and leaves `booking`
    confirmed (on a meeting or a huddle) or waitlisted; the caller announces it. `booking` carries the case's
    version, urgency, deadline, specialties and mode: a `NewBooking` (the case's first placement) is written
    here, once, as placed; a record of a row in the database is changed through the session. Returns what
    the announcement needs not read again: the huddle's participants when it was booked on one, the item
    when it was listed. `facts`: the meetings the case was deferred from as not ready and its readiness,
    when the caller has them."""
    in_database = not isinstance(booking, NewBooking)
    connection = await driver_connection(session)
    if facts is None:
        facts = await meeting_reads.placement_facts(connection, booking.case_id)
    not_ready, readiness = facts
    need = replace(need, excluded_meetings=not_ready)
    if in_database and booking.kind == "huddle" and booking.status == BookingStatus.confirmed.value:
        # its huddle no longer fits: released first (only then, since releasing bumps the calendar version,
        # a row every calendar change locks)
        assert isinstance(booking, BookingRecord)
        await service.release_participants(session, booking)
        placement_state.released(booking)
        await session.flush()
    for _ in range(MAX_LISTING_ATTEMPTS):
        meetings, decision, final = await _decide(connection, need, now)
        if isinstance(decision, Huddle):
            placement_state.to_huddle_search(booking)
            participants = await service.place(
                session,
                booking,
                policy,
                now,
                insert_booking=not in_database,
                calendar_version=calendar_version,
            )
            if booking.status == BookingStatus.confirmed.value or decision.fallback is None:
                if not in_database and booking.status != BookingStatus.confirmed.value:
                    await _insert(session, booking)
                await session.flush()
                return participants
            fallback = decision.fallback
            if not final:
                meetings = await meeting_reads.open_meetings(connection, now)
                whole = decide(need, [m.candidate for m in meetings], now)
                assert isinstance(whole, Huddle) and whole.fallback is not None
                fallback = whole.fallback
            decision = fallback
        if isinstance(decision, Waitlisted):
            placement_state.waitlisted(booking, decision, now)
            if not in_database:
                await _insert(session, booking)
            await session.flush()
            return None
        assert isinstance(decision, OnMeeting)
        meeting = next(m for m in meetings if m.candidate.meeting_id == decision.meeting.meeting_id)
        refused, moved, listed = await list_on(session, booking, decision, need, readiness, now, meeting)
        if refused is None:
            await session.flush()
            await announce_shifted(session, policy, moved)
            return listed
    raise RuntimeError("could not list the case after repeated refusals")  # retried by the consumer


async def _insert(session: AsyncSession, booking: BookingRow) -> None:
    """A new booking's row, as it now stands (waitlisted)."""
    assert isinstance(booking, NewBooking)
    await booking_writes.insert_new_booking(await driver_connection(session), booking.columns())


async def on_recommendation(
    session: AsyncSession, envelope: EventEnvelope, recommendation: Recommendation, policy: BookingPolicy
) -> None:
    connection = await driver_connection(session)
    start = await booking_writes.start_placement(
        connection,
        envelope.case_id,
        envelope.case_version,
        outcome_writes.recommendation_values(recommendation),
    )
    calendar_version = start.calendar_version
    booking: BookingRecord | None = None
    # a new case is not excluded from any meeting, and its readiness came with its start
    facts = (frozenset[UUID](), meeting_reads.readiness_of(start.readiness)) if start.started else None
    if not start.started:
        applies, booking = await service.placement_of_seen_case(session, envelope)
        if not applies:
            return
        await outcome_writes.remember_recommendation(connection, recommendation)
    need = need_of(recommendation, mode_of(recommendation))
    verdicts = {t.code.value: t.status.value for t in recommendation.therapies}
    now = service.now_utc()
    listed = (
        booking is not None and booking.kind == "meeting" and booking.status == BookingStatus.confirmed.value
    )
    if booking is not None and listed and booking.case_version == envelope.case_version:
        return  # a replay of the recommendation it was listed for (one recommendation per version)
    if booking is not None:
        booking.verdicts = verdicts
    if booking is not None and listed:
        placement_state.renew(booking, envelope.case_version, need)
        if need.urgency != Urgency.emergency.value:
            kept, moved = await keep_if_fits(session, booking, need, now)
            if kept:
                await session.flush()
                await service.announce(session, policy, EventType.booking_confirmed, booking)
                await announce_shifted(session, policy, moved)
                return
        moved = await take_off(session, booking, status="withdrawn", reason="recommendation_changed", now=now)
        await announce_shifted(session, policy, moved)
        placement_state.released(booking)
        await session.flush()
    if need.urgency == Urgency.emergency.value or (
        booking is not None
        and booking.kind == "huddle"
        and booking.status == BookingStatus.confirmed.value
        and await service.still_fits(session, booking, set(need.required_specialties), need.deadline)
    ):
        if booking is not None:
            placement_state.to_huddle_search(booking)
        await service.book_huddle(session, envelope, recommendation, booking, policy, calendar_version)
        return
    was_confirmed = booking is not None and booking.status == BookingStatus.confirmed.value
    placed: BookingRow
    if booking is None:
        placed = NewBooking(
            case_id=envelope.case_id,
            case_version=envelope.case_version,
            status=BookingStatus.waitlisted.value,
            urgency=need.urgency,
            deadline=need.deadline,
            required_specialties=sorted(need.required_specialties),
            mode=need.mode.value,
            verdicts=verdicts,
        )
    else:
        placement_state.renew(booking, envelope.case_version, need)
        placed = booking
    shown = await place_case(
        session, placed, need, policy, now, calendar_version=calendar_version, facts=facts
    )
    await announce_placement(session, policy, placed, was_confirmed=was_confirmed, shown=shown)


async def announce_placement(
    session: AsyncSession,
    policy: BookingPolicy,
    booking: BookingRow,
    *,
    was_confirmed: bool,
    shown: list[Participant] | Listed | None = None,
) -> None:
    """`shown`: what place_case returned (else read again when confirmed)."""
    participants: list[Participant] | None
    if booking.status == BookingStatus.confirmed.value:
        event = EventType.booking_rescheduled if was_confirmed else EventType.booking_confirmed
        participants, listed = (None, shown) if isinstance(shown, Listed) else (shown, None)
    else:
        event = EventType.booking_waitlisted
        participants, listed = [], None
    await service.announce(session, policy, event, booking, participants, listed)


async def place_again(
    session: AsyncSession, booking: BookingRecord, policy: BookingPolicy, *, reason: str, now: datetime
) -> None:
    """A deferred case (its item already taken off): placed again from step 2 and announced as rescheduled
    or waitlisted with the deferral's reason."""
    placement_state.released(booking)
    await session.flush()
    await place_case(session, booking, need_of_booking(booking), policy, now)
    placement_state.with_reason(booking, reason)
    await session.flush()
    event = (
        EventType.booking_rescheduled
        if booking.status == BookingStatus.confirmed.value
        else EventType.booking_waitlisted
    )
    await service.announce(session, policy, event, booking, [] if booking.status != "confirmed" else None)


async def retry_waitlisted(session: AsyncSession, booking_id: UUID, policy: BookingPolicy) -> bool:
    """One worklist entry, in the caller's transaction; True when it now has a place."""
    booking = await session.get(BookingRecord, booking_id, with_for_update=True)
    if booking is None or booking.status != BookingStatus.waitlisted.value:
        return False
    if booking.kind == "huddle" or booking.urgency == Urgency.emergency.value:
        return await service.retry_waitlisted(session, booking_id, policy)
    now = service.now_utc()
    await place_case(session, booking, need_of_booking(booking), policy, now)
    if booking.status == BookingStatus.confirmed.value:
        await service.announce(session, policy, EventType.booking_confirmed, booking)
        return True
    return False


async def retry_entry(uow: UnitOfWork, booking_id: UUID, policy: BookingPolicy) -> bool:
    """One worklist entry in its own transaction (the worklist retrier's); True when it now has a place."""
    async with uow.begin() as session:
        return await retry_waitlisted(session, booking_id, policy)


def case_facts(case: CaseSubmission) -> dict[str, Any]:
    """What `readiness_from_case` reads of the case, as its JSON has it, taken from the parsed case (not a
    dump of all of it)."""
    compression = case.neurology.spinal_cord_compression
    diagnostics = case.diagnostics
    return {
        "lesions": [{"site": lesion.site.value} for lesion in case.lesions],
        "neurology": {"spinal_cord_compression": None if compression is None else compression.value},
        "diagnostics": {
            "imaging_reviewed": diagnostics.imaging_reviewed,
            "histology_confirmed": diagnostics.histology_confirmed,
            "spine_mri_done": diagnostics.spine_mri_done,
        },
    }


async def on_case_changed(session: AsyncSession, envelope: EventEnvelope, case: CaseSubmission) -> None:
    """A submitted or changed case: re-opens a withdrawn one, and records its readiness for the meeting."""
    await agenda_writes.record_case_change(
        await driver_connection(session),
        envelope.case_id,
        envelope.case_version,
        readiness_from_case(case_facts(case)),
    )
