"""The scheduler's use cases: book a case from its recommendation, keep or move a booking when a new
recommendation comes, cancel on withdrawal, and re-try the worklist when availability grows."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import case, delete, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler.adapters import booking_writes
from services.scheduler.adapters.calendar_cache import CalendarSource, DatabaseCalendars
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
    ClinicianCalendar,
    SlotChoice,
    align_up,
    find_earliest_slot,
    find_partial_emergency_slot,
    lacking_specialties,
    list_slot_starts,
)
from services.scheduler.domain.slot_search import DEFAULT_LIST_LIMIT
from services.scheduler.listing import take_off
from services.scheduler.placement_state import BookingRow, NewBooking
from services.scheduler.views import Listed, meeting_booking_view
from shared.contracts.booking import Booking, BookingStatus, Participant
from shared.contracts.codes import Specialty, Urgency
from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.recommendation import Recommendation
from shared.db.driver import driver_connection
from shared.db.unit_of_work import UnitOfWork
from shared.errors import InvalidRequestError
from shared.kafka.outbox import add_to_outbox

# An emergency never waits on a full panel: at least these meet within 24 h (issue: emergency cases).
EMERGENCY_CORE = frozenset({Specialty.surgery, Specialty.radiation_oncology})
OPEN_STATUSES = (BookingStatus.confirmed.value, BookingStatus.waitlisted.value)
URGENCY_RANK = {Urgency.emergency.value: 0, Urgency.urgent.value: 1, Urgency.routine.value: 2}
# Losing a race for a clinician (the exclusion constraint) re-runs the search with what the winner committed;
# every lost race means another booking committed, so this bound is only reached under extreme contention,
# and then the consumer retries the whole event.
MAX_PLACEMENT_ATTEMPTS = 64
MAX_SLOT_RANGE = timedelta(days=90)


@dataclass(frozen=True)
class BookingPolicy:
    duration: timedelta
    booking_topic: str
    # No automatic booking starts sooner than this after "now" (settings.min_lead_minutes).
    min_lead: timedelta = timedelta(0)
    emergency_min_lead: timedelta = timedelta(0)
    # Where the booking path reads calendars: the database each time, or a per-process copy.
    calendars: CalendarSource = field(default_factory=DatabaseCalendars)
    outcome_topic: str = "mdt-outcomes"

    def earliest_start(self, urgency: str, now: datetime) -> datetime:
        """The first grid start an automatic booking of this urgency may take."""
        lead = self.emergency_min_lead if urgency == Urgency.emergency.value else self.min_lead
        return align_up(now + lead)


def now_utc() -> datetime:
    return datetime.now(UTC)


async def booking_view(
    session: AsyncSession,
    booking: BookingRow,
    participants: list[Participant] | None = None,
    listed: Listed | None = None,
) -> Booking:
    """The booking as the API and events show it. `participants`, when given, are its active participants
    ordered by specialty, as the caller just wrote them; otherwise they are read from the database. A
    placement on a meeting is shown by views.py (`listed`: its item, as just listed)."""
    if booking.kind == "meeting":
        return await meeting_booking_view(session, booking, listed)
    if participants is None:
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
        participants = [
            Participant(clinician_id=cid, name=name, specialty=Specialty(spec)) for cid, name, spec in rows
        ]
    return Booking(
        booking_id=booking.booking_id,
        case_id=booking.case_id,
        case_version=booking.case_version,
        status=BookingStatus(booking.status),
        start=booking.start,
        end=booking.end,
        urgency=Urgency(booking.urgency),
        deadline=booking.deadline,
        participants=participants,
        missing_specialties=[Specialty(s) for s in booking.missing_specialties],
        partial=booking.partial,
        reason=booking.reason,
    )


async def announce(
    session: AsyncSession,
    policy: BookingPolicy,
    event: EventType,
    booking: BookingRow,
    participants: list[Participant] | None = None,
    listed: Listed | None = None,
) -> None:
    view = await booking_view(session, booking, participants, listed)
    await add_to_outbox(
        session,
        outbox,
        policy.booking_topic,
        EventEnvelope(
            event_type=event,
            schema_version=view.schema_version,  # 2: a placement (meetings.md §4)
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


async def still_fits(
    session: AsyncSession, booking: BookingRecord, required: set[str], deadline: datetime
) -> bool:
    if booking.status != BookingStatus.confirmed.value or booking.end is None or booking.partial:
        return False
    return booking.end <= deadline and required <= await _participant_specialties(session, booking)


class SlotTaken(StrEnum):
    taken = "taken"
    lost_race = "lost_race"  # another booking has one of the clinicians then
    unavailable = "unavailable"  # a clinician is no longer active, or no longer has a window for it


def _booking_columns(booking: BookingRow) -> dict[str, Any]:
    return {
        "case_id": booking.case_id,
        "case_version": booking.case_version,
        "status": booking.status,
        "urgency": booking.urgency,
        "deadline": booking.deadline,
        "required_specialties": booking.required_specialties,
        "missing_specialties": booking.missing_specialties,
        "partial": booking.partial,
        "reason": booking.reason,
        "updated_at": booking.updated_at,
    }


async def take_slot(session: AsyncSession, booking: BookingRow, choice: SlotChoice) -> SlotTaken:
    """Adds the choice's participants to the booking, in a savepoint, once the database confirms they are
    active, available for the whole slot, and free (see `booking_writes.take_participants`)."""
    taken, _ = await _take_slot(session, booking, choice, insert_booking=False)
    return taken


async def _take_slot(
    session: AsyncSession, booking: BookingRow, choice: SlotChoice, *, insert_booking: bool
) -> tuple[SlotTaken, list[Participant]]:
    """`take_slot`, also returning the participants booked (names as the database has them, by specialty).

    With `insert_booking`, the booking is not in the database yet and is written, as it stands, with its
    participants (all or nothing)."""
    await session.flush()  # what the session holds back goes first, as before any savepoint
    try:
        names = await booking_writes.take_participants(
            await driver_connection(session),
            booking.booking_id,
            [(person.clinician_id, person.specialty.value) for person in choice.participants],
            choice.start,
            choice.end,
            new_booking=_booking_columns(booking) if insert_booking else None,
        )
    except booking_writes.LostRaceError:
        return SlotTaken.lost_race, []
    if names is None:
        return SlotTaken.unavailable, []
    participants = [
        Participant(
            clinician_id=person.clinician_id, name=names[person.clinician_id], specialty=person.specialty
        )
        for person in choice.participants
    ]
    return SlotTaken.taken, participants


# Calendars are loaded for this horizon first; only when it holds no slot, up to the deadline. Most cases
# are booked within a day or two, and a routine case's deadline is 14 days out: this loads a tenth as much.
FIRST_HORIZON = timedelta(days=2)


async def _earliest_full_panel(
    session: AsyncSession,
    required: list[Specialty],
    not_before: datetime,
    deadline: datetime,
    policy: BookingPolicy,
    calendar_version: int | None,
) -> tuple[SlotChoice | None, list[ClinicianCalendar]]:
    """The earliest full-panel slot, and the calendars it was searched in: up to the deadline when it
    returns None. Exact: a search cut at a horizon finds every slot that ends by the horizon."""
    horizons = [deadline]
    if deadline - not_before > 2 * FIRST_HORIZON:
        horizons.insert(0, not_before + FIRST_HORIZON)
    choice: SlotChoice | None = None
    calendars: list[ClinicianCalendar] = []
    for until in horizons:
        calendars = await policy.calendars.calendars(
            session, required, since=not_before, until=until, version=calendar_version
        )
        choice = find_earliest_slot(
            calendars, required, not_before=not_before, deadline=until, duration=policy.duration
        )
        if choice is not None:
            break
    return choice, calendars


def _confirm(booking: BookingRow, choice: SlotChoice, missing: list[Specialty], now: datetime) -> None:
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


async def place(
    session: AsyncSession,
    booking: BookingRow,
    policy: BookingPolicy,
    now: datetime,
    *,
    insert_booking: bool = False,
    calendar_version: int | None = None,
) -> list[Participant] | None:
    """Finds the earliest slot for the booking's specialties before its deadline and takes it, or puts the
    booking on the worklist with what was lacking. Losing a race for a clinician re-runs the search.

    Returns the participants when confirmed. With `insert_booking` the booking is not in the database yet:
    when confirmed it was written with its participants; when waitlisted the caller writes it.
    `calendar_version`: see `CalendarSource.calendars`."""
    required = [Specialty(s) for s in booking.required_specialties]
    not_before = policy.earliest_start(booking.urgency, now)
    for _ in range(MAX_PLACEMENT_ATTEMPTS):
        choice, calendars = await _earliest_full_panel(
            session, required, not_before, booking.deadline, policy, calendar_version
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
            return None
        if insert_booking:
            _confirm(booking, choice, missing, now)  # the row is written as it will stand
        taken, participants = await _take_slot(session, booking, choice, insert_booking=insert_booking)
        if taken != SlotTaken.taken:
            policy.calendars.stale()
            continue  # another booking took a clinician first, or the calendar moved: search again
        policy.calendars.taken(session, choice)
        _confirm(booking, choice, missing, now)
        return participants
    raise RuntimeError("could not place the booking after repeated conflicts")  # retried by the consumer


async def _lock_case(session: AsyncSession, case_id: UUID) -> CaseState:
    """The case's state row, created when missing, locked: every event of one case is applied one at a
    time, even when two consumers (a rebalance) or a coordinator race for it."""
    await session.execute(
        pg_insert(CaseState).values(case_id=case_id, latest_version=0).on_conflict_do_nothing()
    )
    return await _locked_case(session, case_id)


async def _locked_case(session: AsyncSession, case_id: UUID) -> CaseState:
    """The state row of a case that has one, locked."""
    return (
        await session.exec(
            select(CaseState)
            .where(col(CaseState.case_id) == case_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()


async def case_and_placement(
    session: AsyncSession, envelope: EventEnvelope
) -> tuple[bool, BookingRecord | None, int | None]:
    """Locks the case for this event: whether the event applies (not withdrawn, not older than one seen),
    the case's open booking (its placement) and the calendar version."""
    # A case seen for the first time has no booking (one is only ever made after the state row).
    started, calendar_version = await booking_writes.start_case(
        await driver_connection(session), envelope.case_id, envelope.case_version
    )
    if started:
        return True, None, calendar_version
    applies, booking = await placement_of_seen_case(session, envelope)
    return applies, booking, calendar_version


async def placement_of_seen_case(
    session: AsyncSession, envelope: EventEnvelope
) -> tuple[bool, BookingRecord | None]:
    """`case_and_placement` for a case whose state row `start_case` did not make: locks it; whether the
    event applies, and the case's open booking."""
    state = await _locked_case(session, envelope.case_id)
    if state.withdrawn_at is not None or envelope.case_version < state.latest_version:
        return False, None
    state.latest_version = envelope.case_version
    return True, await _open_booking(session, envelope.case_id)


async def book_recommendation(
    session: AsyncSession, envelope: EventEnvelope, recommendation: Recommendation, policy: BookingPolicy
) -> None:
    """Contracts.md §6 alone (a huddle for every case): the emergency path of placing.py."""
    applies, booking, calendar_version = await case_and_placement(session, envelope)
    if applies:
        await book_huddle(session, envelope, recommendation, booking, policy, calendar_version)


async def book_huddle(
    session: AsyncSession,
    envelope: EventEnvelope,
    recommendation: Recommendation,
    booking: BookingRecord | None,
    policy: BookingPolicy,
    calendar_version: int | None,
) -> None:
    """The case's huddle (contracts.md §6): kept when it still fits, else searched; `booking` is its open
    huddle booking or waitlist entry, or None."""
    now = now_utc()
    deadline = recommendation.evaluated_at + timedelta(hours=recommendation.book_within_hours)
    required = sorted({s.value for s in recommendation.required_specialties})
    was_confirmed = booking is not None and booking.status == BookingStatus.confirmed.value
    if booking is not None and await still_fits(session, booking, set(required), deadline):
        # Same or fewer specialties: the slot stays; clinicians no longer needed are freed.
        await session.execute(
            delete(BookingParticipantRecord).where(
                col(BookingParticipantRecord.booking_id) == booking.booking_id,
                col(BookingParticipantRecord.specialty).not_in(required),
            )
        )
        booking.case_version = envelope.case_version
        booking.urgency = recommendation.urgency.value
        booking.deadline = deadline
        booking.required_specialties = required
        booking.updated_at = now
        await session.flush()
        await announce(session, policy, EventType.booking_confirmed, booking)
        return
    if booking is None:
        # Written once, as placed (with its participants when confirmed).
        new = NewBooking(
            case_id=envelope.case_id,
            case_version=envelope.case_version,
            status=BookingStatus.waitlisted.value,
            urgency=recommendation.urgency.value,
            deadline=deadline,
            required_specialties=required,
        )
        participants = await place(
            session, new, policy, now, insert_booking=True, calendar_version=calendar_version
        )
        if participants is None:
            await booking_writes.insert_booking(
                await driver_connection(session), new.booking_id, _booking_columns(new)
            )
        await _announce_booked(session, policy, new, was_confirmed, participants)
        return
    else:
        await release_participants(session, booking)
        booking.case_version = envelope.case_version
        booking.urgency = recommendation.urgency.value
        booking.deadline = deadline
        booking.required_specialties = required
        participants = await place(session, booking, policy, now)
        await session.flush()
    await _announce_booked(session, policy, booking, was_confirmed, participants)


async def _announce_booked(
    session: AsyncSession,
    policy: BookingPolicy,
    booking: BookingRow,
    was_confirmed: bool,
    participants: list[Participant] | None,
) -> None:
    if booking.status == BookingStatus.confirmed.value:
        event = EventType.booking_rescheduled if was_confirmed else EventType.booking_confirmed
    else:
        event = EventType.booking_waitlisted
    # Waitlisted, it has none: never booked, or released above.
    await announce(session, policy, event, booking, participants or [])


async def cancel_for_withdrawal(
    session: AsyncSession, envelope: EventEnvelope, policy: BookingPolicy
) -> None:
    state = await _lock_case(session, envelope.case_id)
    now = now_utc()
    if state.withdrawn_at is None:
        state.withdrawn_at = now
        state.latest_version = max(state.latest_version, envelope.case_version)
    booking = await _open_booking(session, envelope.case_id)
    if booking is None:
        return
    await cancel(session, booking, policy, reason="case withdrawn by the referrer", now=now)


async def cancel(
    session: AsyncSession, booking: BookingRecord, policy: BookingPolicy, *, reason: str, now: datetime
) -> None:
    await take_off(session, booking, status="withdrawn", reason=reason, now=now)
    if booking.kind == "huddle":  # a meeting placement has no participants of its own to release
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
    participants = await place(session, booking, policy, now)
    await session.flush()
    if booking.status == BookingStatus.confirmed.value:
        await announce(session, policy, EventType.booking_confirmed, booking, participants)
        return True
    return False


async def move_booking(
    session: AsyncSession, booking: BookingRecord, policy: BookingPolicy, *, reason: str, now: datetime
) -> EventType:
    """A confirmed booking lost a participant (clinician inactive, availability withdrawn): search again.

    It is rescheduled into the earliest slot that fits, or put on the worklist; either way with `reason`, and
    announced, so that a booking is never lost silently. Returns the event announced.
    """
    await release_participants(session, booking)
    participants = await place(session, booking, policy, now)
    booking.reason = f"{reason}; {booking.reason}" if booking.reason else reason
    await session.flush()
    event = (
        EventType.booking_rescheduled
        if booking.status == BookingStatus.confirmed.value
        else EventType.booking_waitlisted
    )
    await announce(session, policy, event, booking, participants or [])  # released above when waitlisted
    return event


async def search_slots(
    uow: UnitOfWork,
    specialties: Collection[Specialty],
    *,
    since: datetime,
    until: datetime,
    duration: timedelta,
    limit: int = DEFAULT_LIST_LIMIT,
) -> list[datetime]:
    """`GET /v1/slots`: grid starts in `[since, until)` at which one clinician of every specialty is free."""
    if until <= since:
        raise InvalidRequestError("to", "to must be after from")
    if until - since > MAX_SLOT_RANGE:
        raise InvalidRequestError("to", "the range may span 90 days at most")
    if align_up(since) + duration > until:
        return []  # no grid start in the range leaves room for the duration (and none may be asked of SQL)
    async with uow.read() as session:
        horizon = since
        size = FIRST_HORIZON
        starts: list[datetime] = []
        while horizon < until:
            # A short horizon first, growing: `limit` starts are usually found within the first days.
            horizon = min(until, horizon + size) if horizon + 2 * size < until else until
            size *= 4
            calendars = await load_calendars(session, specialties, since=align_up(since), until=horizon)
            starts = list_slot_starts(
                calendars, specialties, not_before=since, until=horizon, duration=duration, limit=limit
            )
            if len(starts) >= limit:
                break
        return starts
