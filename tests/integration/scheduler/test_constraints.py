"""The database itself enforces the booking invariants, whatever the code does: an overlapping active
participation of one clinician is an exclusion violation, a second open booking of a case a unique
violation."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from asyncpg.exceptions import ExclusionViolationError, UniqueViolationError
from sqlalchemy.exc import IntegrityError

from services.scheduler.adapters.tables import BookingParticipantRecord, BookingRecord
from shared.contracts.codes import Specialty
from shared.db.engine import SessionFactory
from tests.integration.scheduler.support import add_clinician, next_hour, slot

pytestmark = pytest.mark.integration


def a_booking(case_id: uuid.UUID | None = None, status: str = "confirmed") -> BookingRecord:
    return BookingRecord(
        case_id=case_id or uuid.uuid4(),
        case_version=1,
        status=status,
        urgency="urgent",
        deadline=datetime.now(UTC) + timedelta(hours=72),
        required_specialties=["surgery"],
        missing_specialties=[],
    )


async def test_an_overlapping_active_participation_is_an_exclusion_violation(
    sessions: SessionFactory,
) -> None:
    start = next_hour()
    async with sessions() as session, session.begin():
        surgeon = await add_clinician(session, Specialty.surgery)
        first, second, third = a_booking(), a_booking(), a_booking()
        session.add_all([first, second, third])
        await session.flush()
        session.add(
            BookingParticipantRecord(
                booking_id=first.booking_id, clinician_id=surgeon, specialty="surgery", during=slot(start)
            )
        )
        # Touching is not overlapping ([start, end) ranges), and an inactive row blocks nothing.
        session.add(
            BookingParticipantRecord(
                booking_id=second.booking_id,
                clinician_id=surgeon,
                specialty="surgery",
                during=slot(start + timedelta(minutes=30)),
            )
        )
        session.add(
            BookingParticipantRecord(
                booking_id=third.booking_id,
                clinician_id=surgeon,
                specialty="surgery",
                during=slot(start),
                active=False,
            )
        )

    with pytest.raises(IntegrityError) as raised:
        async with sessions() as session, session.begin():
            fourth = a_booking()
            session.add(fourth)
            await session.flush()
            session.add(
                BookingParticipantRecord(
                    booking_id=fourth.booking_id,
                    clinician_id=surgeon,
                    specialty="surgery",
                    during=slot(start + timedelta(minutes=15)),
                )
            )
    assert isinstance(raised.value.orig.__cause__, ExclusionViolationError)  # type: ignore[union-attr]
    assert "no_clinician_double_booking" in str(raised.value)


async def test_a_second_open_booking_of_a_case_violates_the_partial_unique_index(
    sessions: SessionFactory,
) -> None:
    case_id = uuid.uuid4()
    async with sessions() as session, session.begin():
        session.add(a_booking(case_id, "cancelled"))
        session.add(a_booking(case_id, "cancelled"))  # any number of cancelled ones
        session.add(a_booking(case_id, "waitlisted"))
    for status in ("confirmed", "waitlisted"):
        with pytest.raises(IntegrityError) as raised:
            async with sessions() as session, session.begin():
                session.add(a_booking(case_id, status))
        assert isinstance(raised.value.orig.__cause__, UniqueViolationError)  # type: ignore[union-attr]
        assert "one_open_booking_per_case" in str(raised.value)
