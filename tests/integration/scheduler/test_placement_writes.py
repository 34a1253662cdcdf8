"""The placement path's combined statements on a real database: a case's first booking written in one
statement with its agenda item (and the agenda renumbered), or alone when waitlisted, never through the ORM;
the case's start and its recommendation in one; and the announcement built from what the listing wrote,
which must be what reading it back shows."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from services.scheduler import service
from services.scheduler.adapters import agenda_writes
from services.scheduler.adapters.tables import MeetingRecord
from services.scheduler.placement_state import NewBooking
from shared.contracts.codes import Specialty, Urgency
from shared.contracts.events import EventEnvelope
from shared.db.driver import driver_connection
from shared.db.engine import SessionFactory
from tests.integration.scheduler.support import (
    booking_events,
    clinic,
    listed_items,
    next_hour,
    open_booking,
    place,
    recommendation,
    with_discussion,
)

pytestmark = pytest.mark.integration
VERDICTS = {"external_beam_radiotherapy": "recommended", "opioid_analgesic": "consider"}


def with_verdicts(envelope: EventEnvelope) -> EventEnvelope:
    therapies = [{"code": code, "status": status, "reasons": []} for code, status in VERDICTS.items()]
    return envelope.model_copy(update={"payload": {**envelope.payload, "therapies": therapies}})


async def test_a_first_listing_writes_the_booking_with_its_item_and_announces_what_is_read_back(
    sessions: SessionFactory,
) -> None:
    [meeting_id] = await clinic(sessions, [72])
    first, routine, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await place(sessions, recommendation(first, urgency=Urgency.urgent, hours=100))
    await place(
        sessions, with_discussion(recommendation(routine, urgency=Urgency.routine), "standard_of_care")
    )
    # listed between the two: the routine case's item is renumbered in the same statement
    await place(sessions, with_verdicts(recommendation(second, urgency=Urgency.urgent, hours=100)))
    async with sessions() as session:
        items = await listed_items(session, meeting_id)
        assert [(i.case_id, i.position) for i in items] == [(first, 1), (second, 2), (routine, 3)]
        booking = await open_booking(session, second)
        meeting = await session.get(MeetingRecord, meeting_id)
        assert meeting is not None and meeting.used_minutes == 6 + 1 + 6
        assert (await open_booking(session, routine)).mode == "standard_of_care"
        assert (booking.kind, booking.status, booking.meeting_id, booking.item_id) == (
            "meeting",
            "confirmed",
            meeting_id,
            items[1].item_id,
        )
        assert (booking.start, booking.end) == (meeting.start, meeting.end)
        assert (booking.mode, booking.late, booking.partial, booking.reason) == (
            "full",
            False,
            False,
            None,
        )
        assert booking.verdicts == VERDICTS and booking.missing_specialties == []
        assert booking.created_at is not None and booking.updated_at is not None
        [(event, payload)] = await booking_events(session, second)
        read_back = (await service.booking_view(session, booking)).model_dump(mode="json")
    assert event == "booking.confirmed"
    assert payload["position"] == 2 and payload["minutes"] == 6
    assert payload["estimated_start"] > payload["start"]
    assert payload == read_back


async def test_a_refused_listing_writes_neither_the_new_booking_nor_its_item(
    sessions: SessionFactory,
) -> None:
    [meeting_id] = await clinic(sessions, [72], capacity=5)
    now = next_hour(0)
    booking = NewBooking(
        case_id=uuid.uuid4(),
        case_version=1,
        status="confirmed",
        urgency="routine",
        deadline=now + timedelta(days=14),
        required_specialties=["surgery"],
        kind="meeting",
        meeting_id=meeting_id,
        item_id=uuid.uuid4(),
        updated_at=now,
    )
    item: dict[str, Any] = {
        "item_id": booking.item_id,
        "meeting_id": meeting_id,
        "booking_id": booking.booking_id,
        "case_id": booking.case_id,
        "case_version": 1,
        "mode": "full",
        "minutes": 6,
        "position": 1,
        "urgency": "routine",
        "deadline": booking.deadline,
        "required_specialties": ["surgery"],
        "readiness": {},
        "late": False,
        "listed_at": now,
    }
    with pytest.raises(RuntimeError, match="capacity"):
        async with sessions() as session, session.begin():
            await agenda_writes.list_item(
                await driver_connection(session), item, [item["item_id"]], new_booking=booking.columns()
            )
    async with sessions() as session:
        counts = (
            await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM scheduler.bookings WHERE booking_id = :b), "
                    "(SELECT count(*) FROM scheduler.agenda_items WHERE item_id = :i), "
                    "(SELECT used_minutes FROM scheduler.meetings WHERE meeting_id = :m)"
                ),
                {"b": booking.booking_id, "i": item["item_id"], "m": meeting_id},
            )
        ).one()
    assert tuple(counts) == (0, 0, 0)


async def test_a_new_case_waitlisted_is_written_once_with_every_column(sessions: SessionFactory) -> None:
    await clinic(sessions, [72])
    case_id = uuid.uuid4()
    await place(
        sessions,
        with_verdicts(recommendation(case_id, urgency=Urgency.routine, specialties=[Specialty.physiatry])),
    )
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        [(event, payload)] = await booking_events(session, case_id)
    assert (booking.status, booking.kind, booking.meeting_id, booking.item_id) == (
        "waitlisted",
        "meeting",
        None,
        None,
    )
    assert booking.reason == "no_quorum: physiatry" and booking.missing_specialties == ["physiatry"]
    assert booking.verdicts == VERDICTS and booking.mode == "full"
    assert booking.created_at is not None and booking.updated_at is not None
    assert event == "booking.waitlisted" and payload["booking_id"] == str(booking.booking_id)


async def test_the_recommendation_is_remembered_for_a_new_case_and_for_a_later_version(
    sessions: SessionFactory,
) -> None:
    await clinic(sessions, [72])
    case_id = uuid.uuid4()
    await place(sessions, with_verdicts(recommendation(case_id, urgency=Urgency.routine)))  # starts the case
    await place(sessions, recommendation(case_id, version=2, urgency=Urgency.routine))  # a case seen before
    async with sessions() as session:
        remembered = {
            (r.case_version, r.ruleset_version, tuple(sorted(r.verdicts.items())))
            for r in (
                await session.execute(
                    text(
                        "SELECT case_version, ruleset_version, verdicts FROM scheduler.case_recommendations "
                        "WHERE case_id = :c"
                    ),
                    {"c": case_id},
                )
            ).all()
        }
    assert remembered == {(1, "test", tuple(sorted(VERDICTS.items()))), (2, "test", ())}
