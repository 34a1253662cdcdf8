"""Intake's use cases. Each runs in one transaction that writes the state change and its outbox event."""

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.adapters.case_writes import save_submission
from services.intake.adapters.tables import CaseRecord, CaseVersionRecord, IdempotencyRecord, outbox
from services.intake.case_view import (
    CaseView,
    PipelineStatus,
    SubmissionReceipt,
    case_view,
    pipeline_status,
    recommendation_summary,
)
from shared.contracts.case import CaseSubmission
from shared.contracts.events import EventEnvelope, EventType, Topic
from shared.db.driver import driver_connection
from shared.kafka.outbox import add_to_outbox
from shared.metrics import SUBMISSION_TO_BOOKING


class IdempotencyConflictError(Exception):
    """The Idempotency-Key was used before for a different request."""


class CaseNotFoundError(Exception):
    pass


def today() -> date:
    return datetime.now(UTC).date()


async def _publish(session: AsyncSession, topic: str, envelope: EventEnvelope) -> None:
    await add_to_outbox(session, outbox, topic, envelope)


async def submit_case(
    session: AsyncSession, *, client: str, submission: CaseSubmission, topic: str
) -> tuple[SubmissionReceipt, bool]:
    """Returns the receipt and whether anything changed (new case or new version)."""
    content = submission.model_dump(mode="json")
    content_json = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    changed = await save_submission(
        await driver_connection(session),
        client=client,
        external_id=submission.external_id,
        content_json=content_json.decode(),
        content_hash=hashlib.sha256(content_json).hexdigest(),
    )
    if changed is None:  # identical resubmission
        case = (
            await session.exec(
                select(CaseRecord).where(
                    CaseRecord.client == client, CaseRecord.external_id == submission.external_id
                )
            )
        ).one()
        return SubmissionReceipt(
            case_id=case.case_id, case_version=case.version, status=pipeline_status(case)
        ), False

    case_id, version = changed
    await _publish(
        session,
        topic,
        EventEnvelope(
            event_type=EventType.case_submitted if version == 1 else EventType.case_updated,
            case_id=case_id,
            case_version=version,
            payload=content,
        ),
    )
    return SubmissionReceipt(case_id=case_id, case_version=version, status=PipelineStatus.received), True


async def replay_idempotent(
    session: AsyncSession, *, client: str, key: str, request_hash: str, ttl: timedelta
) -> tuple[int, SubmissionReceipt] | None:
    """The stored answer for a key seen within its lifetime, None for a new key; 409 for a different body."""
    await session.execute(
        delete(IdempotencyRecord).where(
            col(IdempotencyRecord.client) == client,
            col(IdempotencyRecord.key) == key,
            col(IdempotencyRecord.created_at) < datetime.now(UTC) - ttl,
        )
    )
    record = await session.get(IdempotencyRecord, (client, key), with_for_update=True)
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyConflictError
    # Through the model again, so that the replay is the first answer byte for byte (JSONB reorders keys).
    return record.status_code, SubmissionReceipt.model_validate(record.response)


async def remember_idempotent(
    session: AsyncSession,
    *,
    client: str,
    key: str,
    request_hash: str,
    status_code: int,
    response: dict[str, Any],
) -> None:
    session.add(
        IdempotencyRecord(
            client=client, key=key, request_hash=request_hash, status_code=status_code, response=response
        )
    )
    await session.flush()


async def withdraw_case(
    session: AsyncSession, *, case_id: UUID, topic: str
) -> tuple[SubmissionReceipt, bool]:
    case = await session.get(CaseRecord, case_id, with_for_update=True)
    if case is None:
        raise CaseNotFoundError
    if case.withdrawn_at is not None:
        return SubmissionReceipt(
            case_id=case.case_id, case_version=case.version, status=PipelineStatus.withdrawn
        ), False
    case.withdrawn_at = datetime.now(UTC)
    case.updated_at = case.withdrawn_at
    await _publish(
        session,
        topic,
        EventEnvelope(
            event_type=EventType.case_withdrawn,
            case_id=case.case_id,
            case_version=case.version,
            payload={"withdrawn_at": case.withdrawn_at.isoformat()},
        ),
    )
    return SubmissionReceipt(
        case_id=case.case_id, case_version=case.version, status=PipelineStatus.withdrawn
    ), True


async def get_case(session: AsyncSession, case_id: UUID) -> CaseView:
    case = await session.get(CaseRecord, case_id)
    if case is None:
        raise CaseNotFoundError
    return case_view(case)


async def record_recommendation(session: AsyncSession, envelope: EventEnvelope) -> None:
    case = await session.get(CaseRecord, envelope.case_id, with_for_update=True)
    if case is None:
        return  # not a case of this intake
    current = case.recommendation or {}
    if envelope.case_version >= current.get("case_version", 0):
        case.recommendation = recommendation_summary(envelope.payload)
        case.updated_at = datetime.now(UTC)


async def record_booking(session: AsyncSession, envelope: EventEnvelope) -> None:
    case = await session.get(CaseRecord, envelope.case_id, with_for_update=True)
    if case is None:
        return
    current = case.booking or {}
    # Events of one case arrive in order (keyed by case id): the newest for the newest version wins.
    if envelope.case_version >= current.get("case_version", 0):
        first_decision = current.get("case_version") != envelope.case_version
        case.booking = envelope.payload
        case.updated_at = datetime.now(UTC)
        if first_decision and envelope.case_version == case.version:
            await _observe_submission_to_booking(session, case, str(envelope.payload.get("status", "")))


async def _observe_submission_to_booking(session: AsyncSession, case: CaseRecord, outcome: str) -> None:
    version = await session.get(CaseVersionRecord, (case.case_id, case.version))
    if version is not None and version.received_at is not None:
        elapsed = (datetime.now(UTC) - version.received_at).total_seconds()
        SUBMISSION_TO_BOOKING.labels(outcome).observe(max(elapsed, 0.0))


TOPICS_CONSUMED = [Topic.therapy_recommendations.value, Topic.mdt_bookings.value]
