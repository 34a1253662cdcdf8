"""Loads clinicians' calendars (availability windows minus active bookings) for the slot search."""

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import and_, func
from sqlalchemy.dialects.postgresql import Range
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler.adapters.tables import (
    AvailabilityWindowRecord,
    BookingParticipantRecord,
    ClinicianRecord,
)
from services.scheduler.domain import ClinicianCalendar, Interval
from shared.contracts.codes import Specialty

LOAD_WINDOW = timedelta(days=14)


async def load_calendars(
    session: AsyncSession, specialties: Collection[Specialty], *, since: datetime, until: datetime
) -> list[ClinicianCalendar]:
    clinicians = (
        await session.exec(
            select(ClinicianRecord)
            .where(
                col(ClinicianRecord.active),
                col(ClinicianRecord.specialty).in_([s.value for s in specialties]),
            )
            .order_by(col(ClinicianRecord.id))
        )
    ).all()
    if not clinicians:
        return []
    ids = [c.id for c in clinicians]
    windows: dict[int, list[Interval]] = defaultdict(list)
    for clinician_id, start, end in (
        await session.execute(
            select(
                col(AvailabilityWindowRecord.clinician_id),
                col(AvailabilityWindowRecord.start),
                col(AvailabilityWindowRecord.end),
            )
            .where(
                col(AvailabilityWindowRecord.clinician_id).in_(ids),
                col(AvailabilityWindowRecord.end) > since,
                col(AvailabilityWindowRecord.start) < until,
            )
            .order_by(col(AvailabilityWindowRecord.start))
        )
    ).all():
        windows[clinician_id].append(Interval(start, end))
    busy: dict[int, list[Interval]] = defaultdict(list)
    horizon = Range(since, max(until, since + LOAD_WINDOW))
    for clinician_id, during in (
        await session.execute(
            select(col(BookingParticipantRecord.clinician_id), col(BookingParticipantRecord.during)).where(
                and_(
                    col(BookingParticipantRecord.clinician_id).in_(ids),
                    col(BookingParticipantRecord.active),
                    col(BookingParticipantRecord.during).op("&&")(horizon),
                )
            )
        )
    ).all():
        busy[clinician_id].append(Interval(during.lower, during.upper))
    counts = await _bookings_next_14_days(session, ids, since)
    return [
        ClinicianCalendar(
            clinician_id=c.id,
            name=c.name,
            specialty=Specialty(c.specialty),
            windows=windows.get(c.id, []),
            busy=busy.get(c.id, []),
            bookings_next_14_days=counts.get(c.id, 0),
        )
        for c in clinicians
        if c.id is not None
    ]


async def _bookings_next_14_days(
    session: AsyncSession, ids: list[int | None], since: datetime
) -> dict[int, int]:
    window = Range(since, since + timedelta(days=14))
    rows = (
        await session.execute(
            select(col(BookingParticipantRecord.clinician_id), func.count())
            .where(
                col(BookingParticipantRecord.clinician_id).in_(ids),
                col(BookingParticipantRecord.active),
                col(BookingParticipantRecord.during).op("&&")(window),
            )
            .group_by(col(BookingParticipantRecord.clinician_id))
        )
    ).all()
    return {clinician_id: count for clinician_id, count in rows}
