"""Placement into MDT meetings on a real database (meetings.md §2, §4): the order of the steps, the
placement payload, and the invariants the database enforces (capacity under concurrency, one active
placement per case)."""

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from services.scheduler import service
from services.scheduler.adapters.tables import ActivePlacementRecord, MeetingRecord
from shared.contracts.codes import Specialty, Urgency
from shared.db.engine import SessionFactory
from tests.integration.scheduler.support import (
    MEETING_PANEL,
    POLICY,
    booking_events,
    clinic,
    listed_items,
    open_booking,
    participants,
    place,
    recommendation,
    with_discussion,
    withdrawal,
)

pytestmark = pytest.mark.integration
PANEL = MEETING_PANEL


async def test_a_routine_case_is_listed_on_the_first_meeting_after_the_cutoff(
    sessions: SessionFactory,
) -> None:
    too_soon, tuesday, _friday = await clinic(sessions, [24, 72, 100])
    case_id = uuid.uuid4()
    await place(sessions, recommendation(case_id, urgency=Urgency.routine, specialties=[Specialty.surgery]))
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        assert (booking.kind, booking.meeting_id, booking.status) == ("meeting", tuesday, "confirmed")
        [(event, payload)] = await booking_events(session, case_id)
    assert event == "booking.confirmed"
    assert payload["schema_version"] == 2
    assert payload["kind"] == "meeting" and payload["meeting_id"] == str(tuesday)
    assert payload["position"] == 1 and payload["minutes"] == 6 and payload["mode"] == "full"
    assert payload["team_code"] == "bone-mets" and payload["late"] is False and payload["ready"] is False
    assert payload["estimated_start"] == payload["start"]
    assert {p["specialty"] for p in payload["participants"]} == {s.value for s in PANEL}
    assert too_soon not in (booking.meeting_id,)


async def test_agenda_order_and_estimated_starts(sessions: SessionFactory) -> None:
    [meeting] = await clinic(sessions, [72])
    routine, soc, urgent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await place(sessions, recommendation(routine, urgency=Urgency.routine))
    await place(
        sessions, with_discussion(recommendation(soc, urgency=Urgency.urgent, hours=100), "standard_of_care")
    )
    await place(sessions, recommendation(urgent, urgency=Urgency.urgent, hours=100))
    async with sessions() as session:
        items = await listed_items(session, meeting)
        assert [(i.case_id, i.position, i.minutes) for i in items] == [
            (urgent, 1, 6),
            (routine, 2, 6),
            (soc, 3, 1),
        ]
        [*_, (_, last)] = await booking_events(session, soc)
        used = (await session.get(MeetingRecord, meeting)).used_minutes  # type: ignore[union-attr]
    assert used == 13
    assert last["position"] == 2 and last["estimated_start"] > last["start"]  # then, before `urgent`


async def test_urgent_without_a_meeting_before_its_deadline_gets_a_huddle(sessions: SessionFactory) -> None:
    await clinic(sessions, [100])
    case_id = uuid.uuid4()
    await place(sessions, recommendation(case_id, urgency=Urgency.urgent, specialties=[Specialty.surgery]))
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        [(_, payload)] = await booking_events(session, case_id)
    assert booking.kind == "huddle" and booking.status == "confirmed"
    assert payload["kind"] == "huddle" and payload["start"] is not None


async def test_an_emergency_gets_a_huddle_even_with_a_meeting_tomorrow(sessions: SessionFactory) -> None:
    await clinic(sessions, [3])
    case_id = uuid.uuid4()
    await place(sessions, recommendation(case_id, urgency=Urgency.emergency))
    async with sessions() as session:
        assert (await open_booking(session, case_id)).kind == "huddle"


async def test_routine_without_meetings_before_its_deadline_is_listed_late_else_waitlisted(
    sessions: SessionFactory,
) -> None:
    [late_meeting] = await clinic(sessions, [24 * 20])
    late, lacking = uuid.uuid4(), uuid.uuid4()
    await place(sessions, recommendation(late, urgency=Urgency.routine))
    await place(sessions, recommendation(lacking, urgency=Urgency.routine, specialties=[Specialty.physiatry]))
    async with sessions() as session:
        booking = await open_booking(session, late)
        assert (booking.meeting_id, booking.late) == (late_meeting, True)
        waiting = await open_booking(session, lacking)
        [(event, payload)] = await booking_events(session, lacking)
    assert waiting.status == "waitlisted" and waiting.reason == "no_quorum: physiatry"
    assert event == "booking.waitlisted" and payload["missing_specialties"] == ["physiatry"]


async def test_a_new_recommendation_keeps_the_listing_when_it_fits_and_moves_it_otherwise(
    sessions: SessionFactory,
) -> None:
    first, second = await clinic(sessions, [72, 200])
    case_id = uuid.uuid4()
    await place(sessions, recommendation(case_id, urgency=Urgency.routine))
    await place(
        sessions,
        with_discussion(recommendation(case_id, version=2, urgency=Urgency.routine), "standard_of_care"),
    )
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        [item] = await listed_items(session, first)
        assert (booking.meeting_id, item.case_version, item.minutes, item.mode) == (
            first,
            2,
            1,
            "standard_of_care",
        )
    # physiatry: nobody at either meeting -> the item is withdrawn and the case waitlisted
    await place(
        sessions,
        recommendation(case_id, version=3, urgency=Urgency.routine, specialties=[Specialty.physiatry]),
    )
    async with sessions() as session:
        assert await listed_items(session, first) == [] and await listed_items(session, second) == []
        assert (await open_booking(session, case_id)).status == "waitlisted"
        assert (await session.get(MeetingRecord, first)).used_minutes == 0  # type: ignore[union-attr]


async def test_a_withdrawn_case_leaves_the_agenda(sessions: SessionFactory) -> None:
    [meeting] = await clinic(sessions, [72])
    a, b = uuid.uuid4(), uuid.uuid4()
    await place(sessions, recommendation(a, urgency=Urgency.routine))
    await place(sessions, recommendation(b, urgency=Urgency.routine, hours=400))
    async with sessions() as session, session.begin():
        await service.cancel_for_withdrawal(session, withdrawal(a), POLICY)
    async with sessions() as session:
        [item] = await listed_items(session, meeting)
        assert (item.case_id, item.position) == (b, 1)
        [*_, (event, payload)] = await booking_events(session, a)
        assert event == "booking.cancelled" and payload["kind"] == "meeting"
        count = await session.scalar(select(func.count()).select_from(ActivePlacementRecord))
    assert count == 1


async def test_fifty_concurrent_placements_into_room_for_ten(sessions: SessionFactory) -> None:
    [meeting] = await clinic(sessions, [72], capacity=60)
    cases = [uuid.uuid4() for _ in range(50)]
    go = asyncio.Event()

    async def one(case_id: uuid.UUID) -> None:
        await go.wait()
        await place(sessions, recommendation(case_id, urgency=Urgency.routine))

    tasks = [asyncio.create_task(one(c)) for c in cases]
    go.set()
    await asyncio.gather(*tasks)
    async with sessions() as session:
        items = await listed_items(session, meeting)
        used = (await session.get(MeetingRecord, meeting)).used_minutes  # type: ignore[union-attr]
        statuses = [(await open_booking(session, c)).status for c in cases]
        placements = await session.scalar(select(func.count()).select_from(ActivePlacementRecord))
    assert len(items) == 10 and used == 60
    assert sorted(i.position for i in items) == list(range(1, 11))
    assert statuses.count("confirmed") == 10 and statuses.count("waitlisted") == 40
    assert placements == 10


async def test_the_database_refuses_an_overfilled_meeting_and_a_second_placement(
    sessions: SessionFactory,
) -> None:
    [meeting] = await clinic(sessions, [72], capacity=6)
    case_id = uuid.uuid4()
    await place(sessions, recommendation(case_id, urgency=Urgency.routine))
    for statement in (
        "UPDATE scheduler.agenda_items SET minutes = 7",
        "UPDATE scheduler.meetings SET used_minutes = 7",
        """INSERT INTO scheduler.agenda_items (item_id, meeting_id, booking_id, case_id, case_version, mode,
               minutes, position, urgency, deadline, status)
           SELECT gen_random_uuid(), meeting_id, booking_id, case_id, 1, 'full', 1, 2, 'urgent', deadline,
                  'deferred' FROM scheduler.agenda_items""",
    ):
        async with sessions() as session:
            try:
                async with session.begin():
                    await session.execute(text(statement))
                    await session.execute(text("UPDATE scheduler.agenda_items SET status = 'listed'"))
            except DBAPIError as error:
                assert isinstance(error.orig.__cause__, asyncpg.IntegrityConstraintViolationError)  # type: ignore[union-attr]
            else:
                raise AssertionError(f"accepted: {statement}")
    async with sessions() as session:
        assert len(await listed_items(session, meeting)) == 1
        assert (await session.get(MeetingRecord, meeting)).used_minutes == 6  # type: ignore[union-attr]


async def test_a_replayed_recommendation_changes_nothing(sessions: SessionFactory) -> None:
    [meeting] = await clinic(sessions, [72])
    case_id = uuid.uuid4()
    original = recommendation(case_id, urgency=Urgency.routine)
    await place(sessions, original)
    await place(sessions, original)  # the inbox drops the same event id; a new id for the same version too
    await place(sessions, original.model_copy(update={"event_id": uuid.uuid4()}))
    async with sessions() as session:
        assert len(await booking_events(session, case_id)) == 1
        assert [i.case_id for i in await listed_items(session, meeting)] == [case_id]


async def test_a_late_listing_far_beyond_the_deadline_is_found(sessions: SessionFactory) -> None:
    """Meetings are read up to two weeks past the deadline first: one further out is still found."""
    [far] = await clinic(sessions, [24 * 40], days=45)
    case_id = uuid.uuid4()
    await place(sessions, recommendation(case_id, urgency=Urgency.routine))
    async with sessions() as session:
        booking = await open_booking(session, case_id)
    assert (booking.meeting_id, booking.late) == (far, True)


async def test_a_huddle_that_no_longer_fits_gives_way_to_a_meeting(sessions: SessionFactory) -> None:
    [meeting] = await clinic(sessions, [100])
    case_id = uuid.uuid4()
    await place(sessions, recommendation(case_id, urgency=Urgency.urgent, specialties=[Specialty.surgery]))
    async with sessions() as session:
        assert (await open_booking(session, case_id)).kind == "huddle"
    # version 2: routine and one more specialty: the huddle does not fit, the meeting does
    await place(
        sessions,
        recommendation(
            case_id, version=2, urgency=Urgency.routine, specialties=[Specialty.surgery, Specialty.radiology]
        ),
    )
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        [*_, (event, payload)] = await booking_events(session, case_id)
        assert (booking.kind, booking.meeting_id) == ("meeting", meeting)
        assert await participants(session, booking.booking_id) == []
        placements = await session.scalar(select(func.count()).select_from(ActivePlacementRecord))
    assert event == "booking.rescheduled" and payload["kind"] == "meeting" and placements == 1
