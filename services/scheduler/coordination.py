"""What MDT coordinators do through the API: keep clinicians and availability, move and cancel bookings,
and read what the scheduler holds. Every change is written to the audit log in the same transaction."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import Range
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler import placement_state, service, views
from services.scheduler.adapters.booking_writes import lock_booking_batches
from services.scheduler.adapters.calendars import load_calendars
from services.scheduler.adapters.tables import (
    AuditRecord,
    AvailabilityWindowRecord,
    BookingParticipantRecord,
    BookingRecord,
    ClinicianRecord,
)
from services.scheduler.domain import Interval, covers, expand_weekly_template, find_earliest_slot
from services.scheduler.schemas import (
    ClinicianCreate,
    ClinicianUpdate,
    RescheduleRequest,
    WeeklyWindowCreate,
    WindowCreate,
)
from services.scheduler.service import BookingPolicy
from services.scheduler.views import WorklistKind
from shared import errors
from shared.contracts.booking import Booking, BookingStatus
from shared.contracts.codes import Specialty
from shared.contracts.events import EventType
from shared.db.driver import driver_connection
from shared.db.unit_of_work import UnitOfWork

# Ids are int4 in the database: anything outside cannot exist (and must not reach the driver).
MAX_ID = 2**31 - 1


class NotFoundError(errors.NotFoundError):
    """An id the scheduler does not hold (404)."""


class ConflictError(errors.ConflictError):
    """The state of a booking, clinician, window or meeting forbids the change (409 naming it)."""


class InvalidRequestError(errors.InvalidRequestError):
    """A request that is well-formed but not acceptable as it stands (422 naming the field)."""


def audit(
    session: AsyncSession, actor: str, action: str, entity: str, entity_id: object, **details: Any
) -> None:
    session.add(
        AuditRecord(actor=actor, action=action, entity=entity, entity_id=str(entity_id), details=details)
    )


# ---------------------------------------------------------------------------------------------------------
# Clinicians


async def create_clinician(uow: UnitOfWork, actor: str, body: ClinicianCreate) -> ClinicianRecord:
    async with uow.begin() as session:
        clinician = ClinicianRecord(name=body.name, specialty=body.specialty.value, active=body.active)
        session.add(clinician)
        await session.flush()
        audit(
            session,
            actor,
            "clinician.created",
            "clinician",
            clinician.id,
            name=body.name,
            specialty=body.specialty.value,
            active=body.active,
        )
        return clinician


async def get_clinician(session: AsyncSession, clinician_id: int, *, lock: bool = False) -> ClinicianRecord:
    clinician = (
        await session.get(ClinicianRecord, clinician_id, with_for_update=lock)
        if 1 <= clinician_id <= MAX_ID
        else None
    )
    if clinician is None:
        raise NotFoundError(f"no clinician with id {clinician_id}")
    return clinician


async def find_clinician(uow: UnitOfWork, clinician_id: int) -> ClinicianRecord:
    async with uow.read() as session:
        return await get_clinician(session, clinician_id)


async def list_clinicians(
    uow: UnitOfWork, specialty: Specialty | None, active: bool | None
) -> list[ClinicianRecord]:
    async with uow.read() as session:
        query = select(ClinicianRecord).order_by(col(ClinicianRecord.id))
        if specialty is not None:
            query = query.where(col(ClinicianRecord.specialty) == specialty.value)
        if active is not None:
            query = query.where(col(ClinicianRecord.active) == active)
        return list((await session.exec(query)).all())


@dataclass(frozen=True)
class ClinicianChange:
    clinician: ClinicianRecord
    moved: dict[UUID, EventType]
    availability_grew: bool


async def update_clinician(
    uow: UnitOfWork, actor: str, clinician_id: int, body: ClinicianUpdate, policy: BookingPolicy
) -> ClinicianChange:
    """Renames, re-specialises, (de)activates. Bookings the clinician can no longer attend (inactive, or
    booked for the old specialty) are moved, and meeting items that lose their quorum without them are
    deferred; (re)activation or a new specialty may serve the worklist."""
    async with uow.begin() as session:
        await lock_booking_batches(await driver_connection(session))  # as placements do: before the clinician
        clinician = await get_clinician(session, clinician_id, lock=True)
        before = (clinician.specialty, clinician.active)
        changes = {k: v for k, v in body.model_dump(exclude_unset=True, mode="json").items() if v is not None}
        for field, value in changes.items():
            setattr(clinician, field, value)
        await session.flush()
        audit(session, actor, "clinician.updated", "clinician", clinician_id, **changes)
        moved: dict[UUID, EventType] = {}
        if before[1] and (not clinician.active or clinician.specialty != before[0]):
            why = "made inactive" if not clinician.active else f"no longer {before[0]}"
            moved = await _move_bookings_of(
                session, clinician_id, None, policy, reason=f"clinician {clinician_id} {why}"
            )
            await _recheck_quorum(session, policy, actor, clinician_id=clinician_id)
        grew = clinician.active and (not before[1] or clinician.specialty != before[0])
        return ClinicianChange(clinician, moved, grew)


# ---------------------------------------------------------------------------------------------------------
# Availability


async def list_windows(uow: UnitOfWork, clinician_id: int) -> list[AvailabilityWindowRecord]:
    async with uow.read() as session:
        await get_clinician(session, clinician_id)
        return list(
            (
                await session.exec(
                    select(AvailabilityWindowRecord)
                    .where(col(AvailabilityWindowRecord.clinician_id) == clinician_id)
                    .order_by(col(AvailabilityWindowRecord.start))
                )
            ).all()
        )


async def _refuse_overlaps(session: AsyncSession, clinician_id: int, windows: Sequence[Interval]) -> None:
    """A clinician's windows never overlap (touching is fine): a duplicate would make deleting one of
    them ambiguous. One query for any number of new windows."""
    if not windows:
        return
    lo, hi = min(w.start for w in windows), max(w.end for w in windows)
    existing = (
        await session.execute(
            select(
                col(AvailabilityWindowRecord.id),
                col(AvailabilityWindowRecord.start),
                col(AvailabilityWindowRecord.end),
            ).where(
                col(AvailabilityWindowRecord.clinician_id) == clinician_id,
                col(AvailabilityWindowRecord.end) > lo,
                col(AvailabilityWindowRecord.start) < hi,
            )
        )
    ).all()
    for window in windows:
        for window_id, start, end in existing:
            if start < window.end and window.start < end:
                raise ConflictError(
                    f"the window {window.start.isoformat()}..{window.end.isoformat()} overlaps availability "
                    f"window {window_id} ({start.isoformat()}..{end.isoformat()}) of clinician {clinician_id}"
                )
    ordered = sorted(windows, key=lambda w: w.start)
    for first, second in pairwise(ordered):
        if second.start < first.end:
            raise ConflictError("the new windows overlap each other")


async def add_window(
    uow: UnitOfWork, actor: str, clinician_id: int, body: WindowCreate
) -> AvailabilityWindowRecord:
    async with uow.begin() as session:
        # The clinician's row lock serialises concurrent window changes for one clinician.
        await get_clinician(session, clinician_id, lock=True)
        await _refuse_overlaps(session, clinician_id, [Interval(body.start, body.end)])
        window = AvailabilityWindowRecord(clinician_id=clinician_id, start=body.start, end=body.end)
        session.add(window)
        await session.flush()
        audit(
            session,
            actor,
            "availability.added",
            "clinician",
            clinician_id,
            window_id=window.id,
            start=body.start.isoformat(),
            end=body.end.isoformat(),
        )
        return window


async def add_weekly_windows(
    uow: UnitOfWork, actor: str, clinician_id: int, body: WeeklyWindowCreate, clinic_timezone: str
) -> list[AvailabilityWindowRecord]:
    """A recurring weekly template, expanded in the clinic's time zone into one-off windows (all or none)."""
    async with uow.begin() as session:
        await get_clinician(session, clinician_id, lock=True)
        intervals = expand_weekly_template(
            body.weekday,
            body.start_local,
            body.end_local,
            ZoneInfo(clinic_timezone),
            body.from_date,
            body.to_date,
        )
        await _refuse_overlaps(session, clinician_id, intervals)
        windows = [
            AvailabilityWindowRecord(clinician_id=clinician_id, start=i.start, end=i.end) for i in intervals
        ]
        session.add_all(windows)
        await session.flush()
        audit(
            session,
            actor,
            "availability.weekly_added",
            "clinician",
            clinician_id,
            **body.model_dump(mode="json"),
            timezone=clinic_timezone,
            window_ids=[w.id for w in windows],
        )
        return windows


async def delete_window(
    uow: UnitOfWork, actor: str, clinician_id: int, window_id: int, policy: BookingPolicy
) -> dict[UUID, EventType]:
    """Deletes a window; a booking it carried moves (rescheduled or worklist, with a reason) unless the
    clinician's other windows still cover it; meeting items that lose their quorum without the clinician
    are deferred. Returns the bookings moved and how."""
    async with uow.begin() as session:
        await lock_booking_batches(await driver_connection(session))  # as placements do: before the clinician
        await get_clinician(session, clinician_id, lock=True)
        window = (
            await session.get(AvailabilityWindowRecord, window_id, with_for_update=True)
            if 1 <= window_id <= MAX_ID
            else None
        )
        if window is None or window.clinician_id != clinician_id:
            raise NotFoundError(f"clinician {clinician_id} has no availability window {window_id}")
        start, end = window.start, window.end
        await session.delete(window)
        await session.flush()
        audit(
            session,
            actor,
            "availability.deleted",
            "clinician",
            clinician_id,
            window_id=window_id,
            start=start.isoformat(),
            end=end.isoformat(),
        )
        moved = await _move_bookings_of(
            session,
            clinician_id,
            Range(start, end),
            policy,
            reason=f"availability window {window_id} of clinician {clinician_id} withdrawn",
        )
        await _recheck_quorum(session, policy, actor, clinician_id=clinician_id, since=start, until=end)
        return moved


async def _recheck_quorum(session: AsyncSession, policy: BookingPolicy, actor: str, **which: Any) -> None:
    # meetings.py builds on this module's errors and audit: imported when first needed
    from services.scheduler.meetings import recheck_quorum

    await recheck_quorum(session, policy, actor, **which)


async def _move_bookings_of(
    session: AsyncSession,
    clinician_id: int,
    during: Range[datetime] | None,
    policy: BookingPolicy,
    *,
    reason: str,
) -> dict[UUID, EventType]:
    """Upcoming bookings that lost this participant are searched again: a new slot, or the worklist with a
    reason. Past bookings are history and stay as they are; with `during` (a deleted window), a booking the
    clinician's remaining windows still cover stays too."""
    now = service.now_utc()
    query = select(col(BookingParticipantRecord.booking_id), col(BookingParticipantRecord.during)).where(
        col(BookingParticipantRecord.clinician_id) == clinician_id,
        col(BookingParticipantRecord.active),
        func.upper(col(BookingParticipantRecord.during)) > now,
    )
    if during is not None:
        query = query.where(col(BookingParticipantRecord.during).op("&&")(during))
    rows = (await session.execute(query.order_by(func.lower(col(BookingParticipantRecord.during))))).all()
    remaining: list[Interval] = []
    if during is not None and rows:
        remaining = [
            Interval(start, end)
            for start, end in (
                await session.execute(
                    select(col(AvailabilityWindowRecord.start), col(AvailabilityWindowRecord.end)).where(
                        col(AvailabilityWindowRecord.clinician_id) == clinician_id,
                        col(AvailabilityWindowRecord.end) >= during.lower,
                        col(AvailabilityWindowRecord.start) <= during.upper,
                    )
                )
            ).all()
        ]
    moved: dict[UUID, EventType] = {}
    for booking_id, slot in rows:
        if during is not None and covers(remaining, Interval(slot.lower, slot.upper)):
            continue
        booking = await session.get(BookingRecord, booking_id, with_for_update=True)
        if booking is None or booking.status != BookingStatus.confirmed.value:
            continue
        moved[booking_id] = await service.move_booking(session, booking, policy, reason=reason, now=now)
    return moved


# ---------------------------------------------------------------------------------------------------------
# Bookings


async def get_booking(session: AsyncSession, booking_id: UUID, *, lock: bool = False) -> BookingRecord:
    booking = await session.get(BookingRecord, booking_id, with_for_update=lock)
    if booking is None:
        raise NotFoundError(f"no booking with id {booking_id}")
    return booking


async def list_bookings(
    uow: UnitOfWork,
    *,
    status: BookingStatus | None,
    case_id: UUID | None,
    from_: datetime | None,
    to: datetime | None,
    limit: int,
) -> list[Booking]:
    if from_ is not None and to is not None and to <= from_:
        raise InvalidRequestError("to", "to must be after from")
    async with uow.read() as session:
        query = (
            select(BookingRecord)
            .order_by(col(BookingRecord.start), col(BookingRecord.created_at), col(BookingRecord.booking_id))
            .limit(limit)
        )
        if status is not None:
            query = query.where(col(BookingRecord.status) == status.value)
        if case_id is not None:
            query = query.where(col(BookingRecord.case_id) == case_id)
        if from_ is not None:
            query = query.where(col(BookingRecord.end) > from_)
        if to is not None:
            query = query.where(col(BookingRecord.start) < to)
        return [await service.booking_view(session, b) for b in (await session.exec(query)).all()]


async def find_booking(uow: UnitOfWork, booking_id: UUID) -> Booking:
    async with uow.read() as session:
        return await service.booking_view(session, await get_booking(session, booking_id))


async def worklist(uow: UnitOfWork, kind: WorklistKind | None) -> list[Booking]:
    """Without `kind`, the waitlisted cases (contracts.md §5); with it, one of meetings.md §5's lists."""
    async with uow.read() as session:
        if kind is None:
            entries = await service.worklist(session)
        else:
            entries = await views.worklist(session, kind, service.now_utc())
        return [await service.booking_view(session, b) for b in entries]


async def cancel_booking(
    uow: UnitOfWork, actor: str, booking_id: UUID, reason: str, policy: BookingPolicy
) -> Booking:
    async with uow.begin() as session:
        booking = await get_booking(session, booking_id, lock=True)
        if booking.status == BookingStatus.cancelled.value:
            raise ConflictError("the booking is already cancelled")
        await service.cancel(session, booking, policy, reason=reason, now=service.now_utc())
        audit(
            session,
            actor,
            "booking.cancelled",
            "booking",
            booking_id,
            case_id=str(booking.case_id),
            reason=reason,
        )
        return await service.booking_view(session, booking)


async def reschedule_booking(
    uow: UnitOfWork, actor: str, booking_id: UUID, body: RescheduleRequest, policy: BookingPolicy
) -> Booking:
    """Moves a booking (or books a waitlisted case) to the given start, with the given clinicians or the
    usual choice among those free; 409 naming the reason when anyone needed is busy or absent."""
    async with uow.begin() as session:
        booking = await get_booking(session, booking_id, lock=True)
        if booking.status == BookingStatus.cancelled.value:
            raise ConflictError("a cancelled booking cannot be rescheduled")
        if booking.kind == "meeting" and booking.status == BookingStatus.confirmed.value:
            raise ConflictError(
                "the case is listed on a meeting: move its agenda item (POST /v1/meetings/{id}/items/{item_id}/move)"
            )
        if body.start < service.now_utc():
            raise InvalidRequestError("start", "must not be in the past")
        required = [Specialty(s) for s in booking.required_specialties]
        end = body.start + policy.duration
        previous = (booking.start, booking.end, booking.status)
        placement_state.to_huddle_search(booking)
        await service.release_participants(session, booking)
        calendars = await load_calendars(session, required, since=body.start, until=end)
        if body.clinician_ids is not None:
            wanted = set(body.clinician_ids)
            unknown = wanted - {c.clinician_id for c in calendars}
            if unknown:
                raise ConflictError(
                    f"clinicians {sorted(unknown)} are not active clinicians of the required specialties "
                    f"{sorted(s.value for s in required)}"
                )
            calendars = [c for c in calendars if c.clinician_id in wanted]
            specialties = [c.specialty for c in calendars]
            doubled = sorted({s.value for s in specialties if specialties.count(s) > 1})
            if doubled:
                raise InvalidRequestError("clinician_ids", f"more than one clinician for {doubled}")
            lacking = sorted(s.value for s in set(required) - set(specialties))
            if lacking:
                raise ConflictError(f"the chosen clinicians leave these specialties uncovered: {lacking}")
        choice = find_earliest_slot(
            calendars, required, not_before=body.start, deadline=end, duration=policy.duration
        )
        if choice is None or choice.start != body.start:
            raise ConflictError(
                "not every required specialty has a clinician available and free for the whole slot at "
                f"{body.start.isoformat()}"
            )
        taken = await service.take_slot(session, booking, choice)
        if taken == service.SlotTaken.lost_race:
            raise ConflictError("a chosen clinician was booked by someone else at that time")
        if taken == service.SlotTaken.unavailable:
            raise ConflictError("a chosen clinician is no longer active or available at that time")
        booking.status = BookingStatus.confirmed.value
        booking.start, booking.end = choice.start, choice.end
        booking.partial = False
        booking.missing_specialties = []
        booking.reason = "rescheduled by a coordinator" + (
            " past the urgency deadline" if choice.end > booking.deadline else ""
        )
        booking.updated_at = service.now_utc()
        await session.flush()
        audit(
            session,
            actor,
            "booking.rescheduled",
            "booking",
            booking_id,
            case_id=str(booking.case_id),
            start=choice.start.isoformat(),
            clinician_ids=[p.clinician_id for p in choice.participants],
            previous_start=previous[0].isoformat() if previous[0] else None,
            previous_status=previous[2],
        )
        event = (
            EventType.booking_rescheduled
            if previous[2] == BookingStatus.confirmed.value
            else EventType.booking_confirmed
        )
        await service.announce(session, policy, event, booking)
        return await service.booking_view(session, booking)


# ---------------------------------------------------------------------------------------------------------
# Audit


async def audit_entries(
    uow: UnitOfWork, *, entity: str | None, entity_id: str | None, limit: int
) -> list[AuditRecord]:
    async with uow.read() as session:
        query = select(AuditRecord).order_by(col(AuditRecord.id).desc()).limit(limit)
        if entity is not None:
            query = query.where(col(AuditRecord.entity) == entity)
        if entity_id is not None:
            query = query.where(col(AuditRecord.entity_id) == entity_id)
        return list((await session.exec(query)).all())
