"""Loads clinicians' calendars (availability windows, active bookings, load) for the slot search.

Four queries whatever the number of clinicians (clinicians, windows, busy intervals, 14-day counts), each
selecting the active clinicians of the wanted specialties by a join rather than a list of ids, and only the
windows and bookings that touch `[since, until)`: callers search a short horizon first and load the rest
only when it has no slot (see service.place).
"""

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
    wanted = and_(
        col(ClinicianRecord.active), col(ClinicianRecord.specialty).in_([s.value for s in specialties])
    )
    clinicians = (
        await session.execute(
            select(col(ClinicianRecord.id), col(ClinicianRecord.name), col(ClinicianRecord.specialty))
            .where(wanted)
            .order_by(col(ClinicianRecord.id))
        )
    ).all()
    if not clinicians:
        return []
    windows: dict[int, list[Interval]] = defaultdict(list)
    for clinician_id, start, end in (
        await session.execute(
            select(
                col(AvailabilityWindowRecord.clinician_id),
                col(AvailabilityWindowRecord.start),
                col(AvailabilityWindowRecord.end),
            )
            .join(ClinicianRecord, col(ClinicianRecord.id) == col(AvailabilityWindowRecord.clinician_id))
            .where(
                wanted,
                col(AvailabilityWindowRecord.end) > since,
                col(AvailabilityWindowRecord.start) < until,
            )
            .order_by(col(AvailabilityWindowRecord.start))
        )
    ).all():
        windows[clinician_id].append(Interval(start, end))
    busy: dict[int, list[Interval]] = defaultdict(list)
    for clinician_id, during in (
        await session.execute(
            select(col(BookingParticipantRecord.clinician_id), col(BookingParticipantRecord.during))
            .join(ClinicianRecord, col(ClinicianRecord.id) == col(BookingParticipantRecord.clinician_id))
            .where(
                wanted,
                col(BookingParticipantRecord.active),
                col(BookingParticipantRecord.during).op("&&")(Range(since, until)),
            )
        )
    ).all():
        busy[clinician_id].append(Interval(during.lower, during.upper))
    counts = {
        clinician_id: count
        for clinician_id, count in (
            await session.execute(
                select(col(BookingParticipantRecord.clinician_id), func.count())
                .join(ClinicianRecord, col(ClinicianRecord.id) == col(BookingParticipantRecord.clinician_id))
                .where(
                    wanted,
                    col(BookingParticipantRecord.active),
                    col(BookingParticipantRecord.during).op("&&")(Range(since, since + LOAD_WINDOW)),
                )
                .group_by(col(BookingParticipantRecord.clinician_id))
            )
        ).all()
    }
    return [
        ClinicianCalendar(
            clinician_id=clinician_id,
            name=name,
            specialty=Specialty(specialty),
            windows=windows.get(clinician_id, []),
            busy=busy.get(clinician_id, []),
            bookings_next_14_days=counts.get(clinician_id, 0),
        )
        for clinician_id, name, specialty in clinicians
    ]
