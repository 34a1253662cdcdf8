"""Small builders shared by the scheduler's unit tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from services.scheduler.domain import ClinicianCalendar, Interval
from shared.contracts.codes import Specialty

MONDAY = datetime(2025, 1, 6, tzinfo=UTC)


def at(hour: int, minute: int = 0, *, day: int = 0) -> datetime:
    """A UTC instant `day` days after Monday 2025-01-06 at hour:minute."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def span(start: datetime, end: datetime) -> Interval:
    return Interval(start, end)


def clinician(
    clinician_id: int,
    specialty: Specialty,
    windows: Iterable[tuple[datetime, datetime]],
    busy: Iterable[tuple[datetime, datetime]] = (),
    bookings: int = 0,
) -> ClinicianCalendar:
    return ClinicianCalendar(
        clinician_id=clinician_id,
        name=f"Dr {clinician_id}",
        specialty=specialty,
        windows=[Interval(a, b) for a, b in windows],
        busy=[Interval(a, b) for a, b in busy],
        bookings_next_14_days=bookings,
    )
