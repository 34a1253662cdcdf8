"""The scheduler's in-memory calendars: a stale copy costs a retry, never a wrong booking. Each test makes
the copy stale the way production can (a coordinator's change committed after the copy was read, another
instance's booking) and checks that the database's answer wins."""

import asyncio
import dataclasses
import uuid
from datetime import timedelta

from opentelemetry import context as otel_context
from sqlalchemy import text

from services.scheduler import service
from services.scheduler.adapters.calendar_cache import CachedCalendars
from services.scheduler.consumer import subscription
from shared.contracts.codes import Specialty
from shared.db.engine import SessionFactory
from shared.kafka.consumer import Delivery
from tests.integration.scheduler.support import (
    PANEL,
    POLICY,
    add_clinician,
    book_recommendation,
    next_hour,
    open_booking,
    overlapping_active_participations,
    participants,
    recommendation,
    staff,
)


def cached_policy() -> tuple[service.BookingPolicy, CachedCalendars]:
    cache = CachedCalendars()
    return dataclasses.replace(POLICY, calendars=cache), cache


async def book(sessions: SessionFactory, policy: service.BookingPolicy) -> uuid.UUID:
    case_id = uuid.uuid4()
    async with sessions() as session, session.begin():
        await book_recommendation(session, recommendation(case_id), policy)
    return case_id


async def version(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(await session.scalar(text("SELECT n FROM scheduler.calendar_version WHERE id = 1")) or 0)


async def test_the_copy_is_reused_and_updated_by_its_own_bookings(sessions: SessionFactory) -> None:
    first = next_hour()
    async with sessions() as session, session.begin():
        await staff(session, PANEL, 1, first, 3)
    policy, cache = cached_policy()
    starts = []
    for _ in range(4):
        case_id = await book(sessions, policy)
        async with sessions() as session:
            starts.append((await open_booking(session, case_id)).start)
    assert starts == [first + timedelta(minutes=30 * n) for n in range(4)]  # no slot given twice
    assert cache.reloads == 1


async def test_a_batch_in_one_transaction_books_distinct_slots_from_one_copy(
    sessions: SessionFactory,
) -> None:
    """The consumer books a polled batch in one transaction: each booking sees the ones before it at once."""
    first = next_hour()
    async with sessions() as session, session.begin():
        await staff(session, PANEL, 1, first, 3)
    policy, cache = cached_policy()
    case_ids = [uuid.uuid4() for _ in range(4)]
    async with sessions() as session, session.begin():
        await subscription(policy).handler(
            session, [Delivery(recommendation(case_id), otel_context.get_current()) for case_id in case_ids]
        )
    async with sessions() as session:
        starts = [(await open_booking(session, case_id)).start for case_id in case_ids]
    assert starts == [first + timedelta(minutes=30 * n) for n in range(4)]
    assert cache.reloads == 1


async def test_a_booking_rolled_back_is_forgotten_by_the_copy(sessions: SessionFactory) -> None:
    first = next_hour()
    async with sessions() as session, session.begin():
        await staff(session, PANEL, 1, first, 3)
    policy, _ = cached_policy()
    async with sessions() as session, session.begin():
        await book_recommendation(session, recommendation(uuid.uuid4()), policy)
        await session.rollback()
    case_id = await book(sessions, policy)
    async with sessions() as session:
        assert (await open_booking(session, case_id)).start == first  # the slot is free again, and given


async def test_a_window_deleted_after_the_copy_was_read_is_not_booked(sessions: SessionFactory) -> None:
    first = next_hour()
    async with sessions() as session, session.begin():
        staffed = await staff(session, PANEL, 1, first, 2)
        surgeon_later = await add_clinician(
            session, Specialty.surgery, [(first + timedelta(hours=1), first + timedelta(hours=2))]
        )
    policy, cache = cached_policy()
    await book(sessions, policy)  # loads the copy
    surgeon = staffed[Specialty.surgery][0]
    async with sessions() as session, session.begin():
        await session.execute(
            text("DELETE FROM scheduler.availability_windows WHERE clinician_id = :id"), {"id": surgeon}
        )
    # As if the deletion committed between this scheduler reading the version and booking: the copy still
    # believes in the deleted window.
    cache._version = await version(sessions)
    case_id = await book(sessions, policy)
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        people = {p.clinician_id for p in await participants(session, booking.booking_id)}
    assert booking.status == "confirmed"
    assert surgeon not in people and surgeon_later in people
    assert booking.start == first + timedelta(hours=1)
    assert cache.reloads == 2


async def test_a_deactivated_clinician_is_not_booked_from_a_stale_copy(sessions: SessionFactory) -> None:
    first = next_hour()
    async with sessions() as session, session.begin():
        staffed = await staff(session, PANEL, 2, first, 2)
    policy, cache = cached_policy()
    await book(sessions, policy)
    radiologists = staffed[Specialty.radiology]
    async with sessions() as session, session.begin():
        await session.execute(
            text("UPDATE scheduler.clinicians SET active = false WHERE id = ANY(:ids)"), {"ids": radiologists}
        )
    cache._version = await version(sessions)
    case_id = await book(sessions, policy)
    async with sessions() as session:
        booking = await open_booking(session, case_id)
    assert booking.status == "waitlisted"
    assert booking.missing_specialties == ["radiology"]


async def test_two_schedulers_with_their_own_copies_never_double_book(sessions: SessionFactory) -> None:
    first = next_hour()
    async with sessions() as session, session.begin():
        await staff(session, PANEL, 2, first, 4)
    (policy_a, _), (policy_b, _) = cached_policy(), cached_policy()
    await asyncio.gather(*(book(sessions, policy_a if n % 2 else policy_b) for n in range(30)))
    async with sessions() as session:
        assert await overlapping_active_participations(session) == 0
        statuses = (
            await session.execute(text("SELECT status, count(*) FROM scheduler.bookings GROUP BY status"))
        ).all()
    assert dict(statuses) == {"confirmed": 16, "waitlisted": 14}
