"""Intake's set-based handler of downstream decisions on the real database: in a batch, per case, the newest
event for the newest version wins whatever the order within the batch, and a case of another intake is
ignored."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from opentelemetry import context as otel_context
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake import service
from services.intake.case_view import PipelineStatus
from shared.contracts.case import CaseSubmission
from shared.contracts.events import EventEnvelope, EventType
from shared.db.engine import SessionFactory, create_engine, create_session_factory
from shared.db.unit_of_work import SessionUnitOfWork
from shared.kafka.consumer import Delivery
from shared.settings import ServiceSettings
from tests.support.cases import a_case

pytestmark = pytest.mark.integration
TOPIC = "downstream-test.case-events"


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    engine: AsyncEngine = create_engine(ServiceSettings(database_url=database_url))
    yield create_session_factory(engine)
    # The submissions' events must not wait in the shared outbox for another test's relay to publish.
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM intake.outbox WHERE topic = :topic"), {"topic": TOPIC})
    await engine.dispose()


async def submit(sessions: SessionFactory, case: dict[str, Any]) -> uuid.UUID:
    async with SessionUnitOfWork(sessions).autocommit() as connection:
        receipt, _ = await service.submit_case(
            connection,
            client="downstream-test",
            submission=CaseSubmission.model_validate(case),
            topic=TOPIC,
        )
    return receipt.case_id


def recommendation(case_id: uuid.UUID, version: int) -> EventEnvelope:
    return EventEnvelope(
        event_type=EventType.recommendation_issued,
        case_id=case_id,
        case_version=version,
        payload={
            "case_version": version,
            "ruleset_version": "2026.11",
            "evaluated_at": "2026-11-27T12:00:00+00:00",
            "urgency": "routine",
            "book_within_hours": 336,
            "required_specialties": ["radiation_oncology"],
            "therapies": [{"code": "ANALGESIA_NONOPIOID", "status": "recommended"}],
        },
    )


def booking(case_id: uuid.UUID, version: int, status: str) -> EventEnvelope:
    event_type = EventType.booking_confirmed if status == "confirmed" else EventType.booking_waitlisted
    return EventEnvelope(
        event_type=event_type,
        case_id=case_id,
        case_version=version,
        payload={"case_version": version, "status": status},
    )


async def apply(sessions: SessionFactory, envelopes: list[EventEnvelope]) -> None:
    async with sessions() as session, session.begin():
        await service.record_downstream_decisions(
            session, [Delivery(envelope, otel_context.get_current()) for envelope in envelopes]
        )


async def test_the_newest_decision_for_the_newest_version_wins_in_a_batch(sessions: SessionFactory) -> None:
    case = a_case()
    case_id = await submit(sessions, case)
    await submit(sessions, {**case, "visceral_metastases": True})  # version 2
    other_intakes_case = uuid.uuid4()

    await apply(
        sessions,
        [
            recommendation(case_id, 1),
            booking(case_id, 1, "waitlisted"),
            recommendation(case_id, 2),
            booking(case_id, 2, "confirmed"),
            recommendation(case_id, 1),  # stale: must not replace version 2's
            booking(other_intakes_case, 1, "confirmed"),
        ],
    )
    view = await service.get_case(SessionUnitOfWork(sessions), case_id)
    assert view.case_version == 2
    assert view.recommendation is not None and view.recommendation["case_version"] == 2
    assert view.booking == {"case_version": 2, "status": "confirmed"}
    assert view.status == PipelineStatus.booked

    await apply(sessions, [booking(case_id, 1, "waitlisted")])  # a late event of the older version
    assert (await service.get_case(SessionUnitOfWork(sessions), case_id)).booking == {
        "case_version": 2,
        "status": "confirmed",
    }


async def test_a_batch_updates_each_of_its_cases_and_keeps_what_it_does_not_bring(
    sessions: SessionFactory,
) -> None:
    first, second, third = [await submit(sessions, a_case()) for _ in range(3)]
    await apply(sessions, [recommendation(first, 1), booking(second, 1, "confirmed")])
    await apply(sessions, [booking(first, 1, "waitlisted"), recommendation(second, 1)])

    uow = SessionUnitOfWork(sessions)
    views = [await service.get_case(uow, case_id) for case_id in (first, second, third)]
    assert [view.booking for view in views] == [
        {"case_version": 1, "status": "waitlisted"},
        {"case_version": 1, "status": "confirmed"},
        None,
    ]
    assert [view.recommendation is not None for view in views] == [True, True, False]
    assert [view.status for view in views] == [
        PipelineStatus.waitlisted,
        PipelineStatus.booked,
        PipelineStatus.received,
    ]
