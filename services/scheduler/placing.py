"""A recommendation arrives, or a case needs a place again: the case's placement (meetings.md §2).

`domain/placement.py` decides (meeting, huddle, late listing or waitlist); this module reads what it needs,
writes the decision through listing.py (meetings) or service.py (huddles, contracts.md §6), and announces it
on mdt-bookings in the same transaction (outbox). A redelivered event changes nothing: the consumer's inbox
drops it, and an older case version than one seen is ignored.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler import placement_state, service
from services.scheduler.adapters import agenda_writes, meeting_reads, outcome_writes
from services.scheduler.adapters.tables import BookingRecord
from services.scheduler.domain.placement import Huddle, Mode, Need, OnMeeting, Placement, Waitlisted, decide
from services.scheduler.domain.readiness import from_case as readiness_from_case
from services.scheduler.listing import booking_ids_of, keep_if_fits, list_on, take_off
from services.scheduler.service import BookingPolicy
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
    booking: BookingRecord,
    need: Need,
    policy: BookingPolicy,
    now: datetime,
    *,
    in_database: bool,
    calendar_version: int | None = None,
) -> list[Participant] | None:
    """Places a case that has no active placement, by the steps of meetings.md §2, and leaves `booking`
    confirmed (on a meeting or a huddle) or waitlisted; the caller announces it. `booking` carries the case's
    version, urgency, deadline, specialties and mode; `in_database` says whether its row exists yet. Returns
    the huddle's participants when it was booked on one (the announcement needs not read them again)."""
    connection = await driver_connection(session)
    not_ready, readiness = await meeting_reads.placement_facts(connection, booking.case_id)
    need = replace(need, excluded_meetings=not_ready)
    if in_database and booking.kind == "huddle" and booking.status == BookingStatus.confirmed.value:
        # its huddle no longer fits: released first (only then, since releasing bumps the calendar version,
        # a row every calendar change locks)
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
                    session.add(booking)
                await session.flush()
                return participants
            fallback = decision.fallback
            if not final:
                meetings = await meeting_reads.open_meetings(connection, now)
                whole = decide(need, [m.candidate for m in meetings], now)
                assert isinstance(whole, Huddle) and whole.fallback is not None
                fallback = whole.fallback
            decision = fallback
        if not in_database:
            session.add(booking)
            in_database = True
        if isinstance(decision, Waitlisted):
            placement_state.waitlisted(booking, decision, now)
            await session.flush()
            return None
        assert isinstance(decision, OnMeeting)
        end = next(m.end for m in meetings if m.candidate.meeting_id == decision.meeting.meeting_id)
        refused, moved = await list_on(session, booking, decision, need, readiness, now, end)
        if refused is None:
            await session.flush()
            await announce_shifted(session, policy, moved)
            return None
    raise RuntimeError("could not list the case after repeated refusals")  # retried by the consumer


async def on_recommendation(
    session: AsyncSession, envelope: EventEnvelope, recommendation: Recommendation, policy: BookingPolicy
) -> None:
    applies, booking, calendar_version = await service.case_and_placement(session, envelope)
    if not applies:
        return
    await outcome_writes.remember_recommendation(await driver_connection(session), recommendation)
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
    in_database = booking is not None
    if booking is None:
        booking = BookingRecord(
            case_id=envelope.case_id,
            case_version=envelope.case_version,
            status=BookingStatus.waitlisted.value,
            urgency=need.urgency,
            deadline=need.deadline,
            required_specialties=sorted(need.required_specialties),
            missing_specialties=[],
            mode=need.mode.value,
            verdicts=verdicts,
        )
    else:
        placement_state.renew(booking, envelope.case_version, need)
    participants = await place_case(
        session, booking, need, policy, now, in_database=in_database, calendar_version=calendar_version
    )
    await announce_placement(session, policy, booking, was_confirmed=was_confirmed, participants=participants)


async def announce_placement(
    session: AsyncSession,
    policy: BookingPolicy,
    booking: BookingRecord,
    *,
    was_confirmed: bool,
    participants: list[Participant] | None = None,
) -> None:
    """`participants`: the huddle's, as just booked (else read again when confirmed)."""
    if booking.status == BookingStatus.confirmed.value:
        event = EventType.booking_rescheduled if was_confirmed else EventType.booking_confirmed
    else:
        event = EventType.booking_waitlisted
    await service.announce(
        session, policy, event, booking, [] if booking.status != "confirmed" else participants
    )


async def place_again(
    session: AsyncSession, booking: BookingRecord, policy: BookingPolicy, *, reason: str, now: datetime
) -> None:
    """A deferred case (its item already taken off): placed again from step 2 and announced as rescheduled
    or waitlisted with the deferral's reason."""
    placement_state.released(booking)
    await session.flush()
    await place_case(session, booking, need_of_booking(booking), policy, now, in_database=True)
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
    await place_case(session, booking, need_of_booking(booking), policy, now, in_database=True)
    if booking.status == BookingStatus.confirmed.value:
        await service.announce(session, policy, EventType.booking_confirmed, booking)
        return True
    return False


async def retry_entry(uow: UnitOfWork, booking_id: UUID, policy: BookingPolicy) -> bool:
    """One worklist entry in its own transaction (the worklist retrier's); True when it now has a place."""
    async with uow.begin() as session:
        return await retry_waitlisted(session, booking_id, policy)


async def on_case_changed(session: AsyncSession, envelope: EventEnvelope, case: CaseSubmission) -> None:
    """A submitted or changed case: re-opens a withdrawn one, and records its readiness for the meeting."""
    facts = case.model_dump(mode="json", include={"lesions", "neurology", "diagnostics"})
    await agenda_writes.record_case_change(
        await driver_connection(session),
        envelope.case_id,
        envelope.case_version,
        readiness_from_case(facts),
    )
