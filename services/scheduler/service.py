"""The scheduler's use cases: book a case from its recommendation, keep or move a booking when a new
recommendation comes, cancel on withdrawal, and re-try the worklist when availability grows."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import case, delete, func
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler.adapters.calendars import load_calendars
from services.scheduler.adapters.tables import (
    BookingParticipantRecord,
    BookingRecord,
    CaseState,
    ClinicianRecord,
    outbox,
)
from services.scheduler.domain import (
    NO_COMMON_SLOT_REASON,
    SlotChoice,
    align_up,
    find_earliest_slot,
    find_partial_emergency_slot,
    lacking_specialties,
)
from shared.contracts.booking import Booking, BookingStatus, Participant
from shared.contracts.codes import Specialty, Urgency
from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.recommendation import Recommendation
from shared.kafka.outbox import add_to_outbox

# An emergency never waits on a full panel: at least these meet within 24 h (issue: emergency cases).
EMERGENCY_CORE = frozenset({Specialty.surgery, Specialty.radiation_oncology})
OPEN_STATUSES = (BookingStatus.confirmed.value, BookingStatus.waitlisted.value)
URGENCY_RANK = {Urgency.emergency.value: 0, Urgency.urgent.value: 1, Urgency.routine.value: 2}
MAX_PLACEMENT_ATTEMPTS = 8


@dataclass(frozen=True)
class BookingPolicy:
    duration: timedelta
    booking_topic: str


def now_utc() -> datetime:
    return datetime.now(UTC)


async def booking_view(session: AsyncSession, booking: BookingRecord) -> Booking:
    rows = (
        await session.execute(
            select(
                col(BookingParticipantRecord.clinician_id),
                col(ClinicianRecord.name),
                col(BookingParticipantRecord.specialty),
            )
            .join(ClinicianRecord, col(ClinicianRecord.id) == col(BookingParticipantRecord.clinician_id))
            .where(
                col(BookingParticipantRecord.booking_id) == booking.booking_id,
                col(BookingParticipantRecord.active),
            )
            .order_by(col(BookingParticipantRecord.specialty))
        )
    ).all()
    return Booking(
        booking_id=booking.booking_id,
        case_id=booking.case_id,
        case_version=booking.case_version,
        status=BookingStatus(booking.status),
        start=booking.start,
        end=booking.end,
        urgency=Urgency(booking.urgency),
        deadline=booking.deadline,
        participants=[
            Participant(clinician_id=cid, name=name, specialty=Specialty(spec)) for cid, name, spec in rows
        ],
        missing_specialties=[Specialty(s) for s in booking.missing_specialties],
        partial=booking.partial,
        reason=booking.reason,
    )


async def announce(
    session: AsyncSession, policy: BookingPolicy, event: EventType, booking: BookingRecord
) -> None:
    view = await booking_view(session, booking)
    await add_to_outbox(
        session,
        outbox,
        policy.booking_topic,
        EventEnvelope(
            event_type=event,
            case_id=booking.case_id,
            case_version=booking.case_version,
            payload=view.model_dump(mode="json"),
        ),
    )


async def _open_booking(session: AsyncSession, case_id: UUID) -> BookingRecord | None:
    return (
        await session.exec(
            select(BookingRecord)
            .where(col(BookingRecord.case_id) == case_id, col(BookingRecord.status).in_(OPEN_STATUSES))
            .with_for_update()
        )
    ).one_or_none()


async def release_participants(session: AsyncSession, booking: BookingRecord) -> None:
    await session.execute(
        delete(BookingParticipantRecord).where(col(BookingParticipantRecord.booking_id) == booking.booking_id)
    )


async def _participant_specialties(session: AsyncSession, booking: BookingRecord) -> set[str]:
    rows = await session.execute(
        select(col(BookingParticipantRecord.specialty)).where(
            col(BookingParticipantRecord.booking_id) == booking.booking_id,
            col(BookingParticipantRecord.active),
        )
    )
    return {specialty for (specialty,) in rows.all()}


async def _still_fits(
    session: AsyncSession, booking: BookingRecord, required: set[str], deadline: datetime
) -> bool:
    if booking.status != BookingStatus.confirmed.value or booking.end is None or booking.partial:
        return False
    return booking.end <= deadline and required <= await _participant_specialties(session, booking)


async def place(session: AsyncSession, booking: BookingRecord, policy: BookingPolicy, now: datetime) -> None:
    """Finds the earliest slot for the booking's specialties before its deadline and takes it, or puts the
    booking on the worklist with what was lacking. Losing a race for a clinician re-runs the search."""
    required = [Specialty(s) for s in booking.required_specialties]
    not_before = align_up(now)
    for _ in range(MAX_PLACEMENT_ATTEMPTS):
        calendars = await load_calendars(session, required, since=not_before, until=booking.deadline)
        choice: SlotChoice | None = find_earliest_slot(
            calendars, required, not_before=not_before, deadline=booking.deadline, duration=policy.duration
        )
        missing: list[Specialty] = []
        if choice is None and booking.urgency == Urgency.emergency.value:
            core = (EMERGENCY_CORE & set(required)) or {Specialty.radiology}
            partial = find_partial_emergency_slot(
                calendars,
                required,
                core=core,
                not_before=not_before,
                deadline=booking.deadline,
                duration=policy.duration,
            )
            if partial is not None:
                choice, missing = partial
        if choice is None:
            lacking = lacking_specialties(
                calendars,
                required,
                not_before=not_before,
                deadline=booking.deadline,
                duration=policy.duration,
            )
            booking.status = BookingStatus.waitlisted.value
            booking.start = booking.end = None
            booking.partial = False
            booking.missing_specialties = [s.value for s in lacking]
            booking.reason = (
                f"no clinician free before the deadline for: {', '.join(s.value for s in lacking)}"
                if lacking
                else NO_COMMON_SLOT_REASON
            )
            booking.updated_at = now
            return
        try:
            async with session.begin_nested():
                for person in choice.participants:
                    session.add(
                        BookingParticipantRecord(
                            booking_id=booking.booking_id,
                            clinician_id=person.clinician_id,
                            specialty=person.specialty.value,
                            during=Range(choice.start, choice.end),
                        )
                    )
                await session.flush()
        except IntegrityError:
            continue  # another booking took one of these clinicians first: search again
        booking.status = BookingStatus.confirmed.value
        booking.start, booking.end = choice.start, choice.end
        booking.partial = bool(missing)
        booking.missing_specialties = [s.value for s in missing]
        booking.reason = (
            f"emergency booked without a full panel; missing: {', '.join(s.value for s in missing)}"
            if missing
            else None
        )
        booking.updated_at = now
        return
    raise RuntimeError("could not place the booking after repeated conflicts")  # retried by the consumer


async def book_recommendation(session: AsyncSession, envelope: EventEnvelope, policy: BookingPolicy) -> None:
    recommendation = Recommendation.model_validate(envelope.payload)
    now = now_utc()
    state = await session.get(CaseState, envelope.case_id, with_for_update=True)
    if state is None:
        state = CaseState(case_id=envelope.case_id, latest_version=0)
        session.add(state)
    if state.withdrawn_at is not None or envelope.case_version < state.latest_version:
        return
    state.latest_version = envelope.case_version

    deadline = recommendation.evaluated_at + timedelta(hours=recommendation.book_within_hours)
    required = sorted({s.value for s in recommendation.required_specialties})
    booking = await _open_booking(session, envelope.case_id)
    was_confirmed = booking is not None and booking.status == BookingStatus.confirmed.value
    if booking is not None and await _still_fits(session, booking, set(required), deadline):
        booking.case_version = envelope.case_version
        booking.urgency = recommendation.urgency.value
        booking.deadline = deadline
        booking.required_specialties = required
        booking.updated_at = now
        await session.flush()
        await announce(session, policy, EventType.booking_confirmed, booking)
        return
    if booking is None:
        booking = BookingRecord(
            case_id=envelope.case_id,
            case_version=envelope.case_version,
            status=BookingStatus.waitlisted.value,
            urgency=recommendation.urgency.value,
            deadline=deadline,
            required_specialties=required,
            missing_specialties=[],
        )
        session.add(booking)
        await session.flush()
    else:
        await release_participants(session, booking)
        booking.case_version = envelope.case_version
        booking.urgency = recommendation.urgency.value
        booking.deadline = deadline
        booking.required_specialties = required
    await place(session, booking, policy, now)
    await session.flush()
    if booking.status == BookingStatus.confirmed.value:
        event = EventType.booking_rescheduled if was_confirmed else EventType.booking_confirmed
    else:
        event = EventType.booking_waitlisted
    await announce(session, policy, event, booking)


async def cancel_for_withdrawal(
    session: AsyncSession, envelope: EventEnvelope, policy: BookingPolicy
) -> None:
    state = await session.get(CaseState, envelope.case_id, with_for_update=True)
    now = now_utc()
    if state is None:
        session.add(
            CaseState(case_id=envelope.case_id, latest_version=envelope.case_version, withdrawn_at=now)
        )
    elif state.withdrawn_at is None:
        state.withdrawn_at = now
    booking = await _open_booking(session, envelope.case_id)
    if booking is None:
        return
    await cancel(session, booking, policy, reason="case withdrawn by the referrer", now=now)


async def reopen_if_withdrawn(session: AsyncSession, envelope: EventEnvelope) -> None:
    state = await session.get(CaseState, envelope.case_id, with_for_update=True)
    if state is not None and state.withdrawn_at is not None and envelope.case_version > state.latest_version:
        state.withdrawn_at = None


async def cancel(
    session: AsyncSession, booking: BookingRecord, policy: BookingPolicy, *, reason: str, now: datetime
) -> None:
    await release_participants(session, booking)
    booking.status = BookingStatus.cancelled.value
    booking.reason = reason
    booking.updated_at = now
    await session.flush()
    await announce(session, policy, EventType.booking_cancelled, booking)


async def worklist_size(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(BookingRecord)
        .where(col(BookingRecord.status) == BookingStatus.waitlisted.value)
    )
    return int(count or 0)


async def worklist(session: AsyncSession) -> list[BookingRecord]:
    """Waitlisted cases, emergency first, then by deadline."""
    rank = case(URGENCY_RANK, value=col(BookingRecord.urgency), else_=3)
    return list(
        await session.exec(
            select(BookingRecord)
            .where(col(BookingRecord.status) == BookingStatus.waitlisted.value)
            .order_by(rank, col(BookingRecord.deadline), col(BookingRecord.created_at))
        )
    )


async def retry_waitlisted(session: AsyncSession, booking_id: UUID, policy: BookingPolicy) -> bool:
    """One worklist entry, in the caller's transaction; True when it is now booked."""
    booking = await session.get(BookingRecord, booking_id, with_for_update=True)
    if booking is None or booking.status != BookingStatus.waitlisted.value:
        return False
    now = now_utc()
    if booking.deadline <= now:
        return False
    await place(session, booking, policy, now)
    await session.flush()
    if booking.status == BookingStatus.confirmed.value:
        await announce(session, policy, EventType.booking_confirmed, booking)
        return True
    return False
