"""50 bookings at once against the same few clinicians, through the real service layer on a real database:
the exclusion constraint holds, the losers of a race search again and take the next free slot, whoever
cannot fit is waitlisted with a reason, nobody fails, and no case has two open bookings."""

import asyncio
import uuid
from collections import Counter
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from services.scheduler.adapters import calendar_cache, calendars
from services.scheduler.adapters.tables import BookingParticipantRecord, BookingRecord
from services.scheduler.domain import ClinicianCalendar, is_on_grid
from shared.contracts.codes import Specialty
from shared.db.engine import SessionFactory
from tests.integration.scheduler.support import (
    PANEL,
    POLICY,
    book_recommendation,
    booking_events,
    next_hour,
    overlapping_active_participations,
    participants,
    recommendation,
    staff,
)

pytestmark = pytest.mark.integration
CASES = 50
PER_SPECIALTY = 3


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts calendar loads: more loads than bookings means some searches ran again after losing a race."""
    counter: Counter[str] = Counter()
    original = calendars.load_calendars

    async def counting(
        session: Any, specialties: Collection[Specialty], *, since: datetime, until: datetime
    ) -> list[ClinicianCalendar]:
        counter["loads"] += 1
        return await original(session, specialties, since=since, until=until)

    monkeypatch.setattr(calendar_cache, "load_calendars", counting)
    return counter


async def book_all_at_once(sessions: SessionFactory, case_ids: list[uuid.UUID]) -> None:
    start = asyncio.Event()

    async def book(case_id: uuid.UUID) -> None:
        await start.wait()
        async with sessions() as session, session.begin():
            await book_recommendation(session, recommendation(case_id), POLICY)

    tasks = [asyncio.create_task(book(case_id)) for case_id in case_ids]
    start.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == [], f"{len(failures)} bookings failed, first: {failures[0]!r}"


@pytest.mark.parametrize(
    ("hours", "confirmed"),
    [
        pytest.param(9, CASES, id="enough-slots-all-confirmed"),
        pytest.param(2, 4 * PER_SPECIALTY, id="short-availability-rest-waitlisted"),
    ],
)
async def test_fifty_concurrent_bookings_never_double_book_and_losers_take_the_next_slot(
    sessions: SessionFactory, searches: Counter[str], hours: int, confirmed: int
) -> None:
    first = next_hour()
    async with sessions() as session, session.begin():
        await staff(session, PANEL, PER_SPECIALTY, first, hours)
    case_ids = [uuid.uuid4() for _ in range(CASES)]

    await book_all_at_once(sessions, case_ids)

    async with sessions() as session:
        # The database's own view: no clinician in two overlapping active bookings.
        assert await overlapping_active_participations(session) == 0
        bookings = list((await session.exec(select(BookingRecord))).all())
        assert sorted(b.case_id for b in bookings) == sorted(case_ids)  # one booking each, none lost
        by_status = Counter(b.status for b in bookings)
        assert by_status == Counter({"confirmed": confirmed, "waitlisted": CASES - confirmed})
        starts: Counter[datetime] = Counter()
        for booking in bookings:
            events = [event for event, _ in await booking_events(session, booking.case_id)]
            if booking.status == "confirmed":
                assert booking.start is not None and booking.end is not None
                assert is_on_grid(booking.start) and booking.end <= booking.deadline
                people = await participants(session, booking.booking_id)
                assert sorted(p.specialty for p in people) == sorted(s.value for s in PANEL)
                starts[booking.start] += 1
                assert events == ["booking.confirmed"]
            else:
                assert booking.reason and booking.missing_specialties
                assert events == ["booking.waitlisted"]
        # Slots are filled from the earliest on, each by as many bookings as there are clinicians.
        expected_starts = [first + timedelta(minutes=30 * n) for n in range(len(starts))]
        assert sorted(starts) == expected_starts
        assert all(starts[start] == PER_SPECIALTY for start in sorted(starts)[:-1])
        assert max(starts.values()) == PER_SPECIALTY
        participations = await session.scalar(select(func.count()).select_from(BookingParticipantRecord))
        assert participations == confirmed * len(PANEL)
    # Everybody chose the same first slot from the same empty calendars: the losers searched again.
    assert searches["loads"] > CASES


async def test_concurrent_events_for_one_case_leave_one_open_booking(sessions: SessionFactory) -> None:
    async with sessions() as session, session.begin():
        await staff(session, PANEL, PER_SPECIALTY, next_hour(), 9)
    case_id = uuid.uuid4()
    start = asyncio.Event()

    async def book(version: int) -> None:
        await start.wait()
        async with sessions() as session, session.begin():
            await book_recommendation(session, recommendation(case_id, version=version), POLICY)

    tasks = [asyncio.create_task(book(version)) for version in range(1, 11)]
    start.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    async with sessions() as session:
        bookings = list(
            (await session.exec(select(BookingRecord).where(col(BookingRecord.case_id) == case_id))).all()
        )
        assert [b.status for b in bookings] == ["confirmed"]
        assert len(await participants(session, bookings[0].booking_id)) == len(PANEL)
        assert await overlapping_active_participations(session) == 0
