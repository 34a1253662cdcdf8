"""What MDT coordinators do through the API: keep clinicians and availability, move and cancel bookings.
Every change is written to the audit log in the same transaction."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler import service
from services.scheduler.adapters.calendars import load_calendars
from services.scheduler.adapters.tables import (
    AuditRecord,
    AvailabilityWindowRecord,
    BookingParticipantRecord,
    BookingRecord,
    ClinicianRecord,
)
from services.scheduler.domain import find_earliest_slot
from services.scheduler.schemas import ClinicianCreate, ClinicianUpdate, RescheduleRequest, WindowCreate
from services.scheduler.service import BookingPolicy
from shared.contracts.booking import BookingStatus
from shared.contracts.codes import Specialty
from shared.contracts.events import EventType


class NotFoundError(Exception):
    pass


class ConflictError(Exception):
    pass


def audit(
    session: AsyncSession, actor: str, action: str, entity: str, entity_id: object, **details: Any
) -> None:
    session.add(
        AuditRecord(actor=actor, action=action, entity=entity, entity_id=str(entity_id), details=details)
    )


async def create_clinician(session: AsyncSession, actor: str, body: ClinicianCreate) -> ClinicianRecord:
    clinician = ClinicianRecord(name=body.name, specialty=body.specialty.value, active=body.active)
    session.add(clinician)
    await session.flush()
    audit(session, actor, "clinician.created", "clinician", clinician.id, specialty=body.specialty.value)
    return clinician


async def get_clinician(session: AsyncSession, clinician_id: int, *, lock: bool = False) -> ClinicianRecord:
    clinician = await session.get(ClinicianRecord, clinician_id, with_for_update=lock)
    if clinician is None:
        raise NotFoundError("no clinician with this id")
    return clinician


async def update_clinician(
    session: AsyncSession, actor: str, clinician_id: int, body: ClinicianUpdate, policy: BookingPolicy
) -> ClinicianRecord:
    clinician = await get_clinician(session, clinician_id, lock=True)
    changes = body.model_dump(exclude_unset=True, mode="json")
    for field, value in changes.items():
        if value is not None:
            setattr(clinician, field, value)
    await session.flush()
    audit(session, actor, "clinician.updated", "clinician", clinician_id, **changes)
    if changes.get("active") is False or "specialty" in changes:
        await _rebook_participations(
            session, clinician_id, None, policy, reason=f"clinician {clinician_id} no longer available"
        )
    return clinician


async def add_window(
    session: AsyncSession, actor: str, clinician_id: int, body: WindowCreate
) -> AvailabilityWindowRecord:
    await get_clinician(session, clinician_id)
    window = AvailabilityWindowRecord(clinician_id=clinician_id, start=body.start, end=body.end)
    session.add(window)
    await session.flush()
    audit(session, actor, "availability.added", "clinician", clinician_id, window_id=window.id)
    return window


async def delete_window(
    session: AsyncSession, actor: str, clinician_id: int, window_id: int, policy: BookingPolicy
) -> None:
    window = await session.get(AvailabilityWindowRecord, window_id, with_for_update=True)
    if window is None or window.clinician_id != clinician_id:
        raise NotFoundError("no such availability window for this clinician")
    await session.delete(window)
    await session.flush()
    audit(session, actor, "availability.deleted", "clinician", clinician_id, window_id=window_id)
    await _rebook_participations(
        session,
        clinician_id,
        Range(window.start, window.end),
        policy,
        reason=f"availability of clinician {clinician_id} withdrawn",
    )


async def _rebook_participations(
    session: AsyncSession,
    clinician_id: int,
    during: Range[datetime] | None,
    policy: BookingPolicy,
    *,
    reason: str,
) -> None:
    """Bookings that lost a participant are searched again: a new slot, or the worklist with a reason."""
    query = select(col(BookingParticipantRecord.booking_id)).where(
        col(BookingParticipantRecord.clinician_id) == clinician_id, col(BookingParticipantRecord.active)
    )
    if during is not None:
        query = query.where(col(BookingParticipantRecord.during).op("&&")(during))
    booking_ids = [row[0] for row in (await session.execute(query)).all()]
    now = service.now_utc()
    for booking_id in booking_ids:
        booking = await session.get(BookingRecord, booking_id, with_for_update=True)
        if booking is None or booking.status != BookingStatus.confirmed.value:
            continue
        await service.release_participants(session, booking)
        await service.place(session, booking, policy, now)
        if booking.status == BookingStatus.waitlisted.value:
            booking.reason = f"{reason}; {booking.reason}"
        await session.flush()
        event = (
            EventType.booking_rescheduled
            if booking.status == BookingStatus.confirmed.value
            else EventType.booking_waitlisted
        )
        await service.announce(session, policy, event, booking)


async def get_booking(session: AsyncSession, booking_id: UUID, *, lock: bool = False) -> BookingRecord:
    booking = await session.get(BookingRecord, booking_id, with_for_update=lock)
    if booking is None:
        raise NotFoundError("no booking with this id")
    return booking


async def cancel_booking(
    session: AsyncSession, actor: str, booking_id: UUID, reason: str, policy: BookingPolicy
) -> BookingRecord:
    booking = await get_booking(session, booking_id, lock=True)
    if booking.status == BookingStatus.cancelled.value:
        raise ConflictError("the booking is already cancelled")
    await service.cancel(session, booking, policy, reason=reason, now=service.now_utc())
    audit(session, actor, "booking.cancelled", "booking", booking_id, reason=reason)
    return booking


async def reschedule_booking(
    session: AsyncSession, actor: str, booking_id: UUID, body: RescheduleRequest, policy: BookingPolicy
) -> BookingRecord:
    booking = await get_booking(session, booking_id, lock=True)
    if booking.status == BookingStatus.cancelled.value:
        raise ConflictError("a cancelled booking cannot be rescheduled")
    required = [Specialty(s) for s in booking.required_specialties]
    end = body.start + policy.duration
    await service.release_participants(session, booking)
    calendars = await load_calendars(session, required, since=body.start, until=end)
    if body.clinician_ids is not None:
        wanted = set(body.clinician_ids)
        unknown = wanted - {c.clinician_id for c in calendars}
        if unknown:
            raise ConflictError(
                f"clinicians {sorted(unknown)} are not active clinicians of the required specialties"
            )
        calendars = [c for c in calendars if c.clinician_id in wanted]
        covered = {c.specialty for c in calendars}
        if not set(required) <= covered:
            lacking = sorted(s.value for s in set(required) - covered)
            raise ConflictError(f"the chosen clinicians leave these specialties uncovered: {lacking}")
    choice = find_earliest_slot(
        calendars, required, not_before=body.start, deadline=end, duration=policy.duration
    )
    if choice is None or choice.start != body.start:
        raise ConflictError(
            "not every required specialty has a clinician free for the whole slot at that start"
        )
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
        raise ConflictError("a chosen clinician was booked by someone else at that time") from None
    booking.status = BookingStatus.confirmed.value
    booking.start, booking.end = choice.start, choice.end
    booking.partial = False
    booking.missing_specialties = []
    booking.reason = "rescheduled by a coordinator" + (
        " past the urgency deadline" if choice.end > booking.deadline else ""
    )
    booking.updated_at = service.now_utc()
    await session.flush()
    audit(session, actor, "booking.rescheduled", "booking", booking_id, start=body.start.isoformat())
    await service.announce(session, policy, EventType.booking_rescheduled, booking)
    return booking
