"""Intake's submission use case: a case (native JSON, or mapped from a FHIR Bundle) accepted once per
content, and an Idempotency-Key's answer replayed for the same request."""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import service
from services.intake.adapters.tables import IdempotencyRecord
from services.intake.case_view import SubmissionReceipt, answer_status
from shared.contracts.case import CaseSubmission
from shared.db.driver import driver_connection
from shared.db.unit_of_work import UnitOfWork
from shared.errors import ConflictError

ATTEMPTS = 3


class IdempotencyConflictError(ConflictError):
    """The Idempotency-Key was used before for a different request."""

    title = "Idempotency key reused"

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was used before for a different request body")


async def submit(
    uow: UnitOfWork,
    *,
    client: str,
    submission: CaseSubmission,
    topic: str,
    idempotency_key: str | None,
    request_body: bytes,
    idempotency_ttl: timedelta,
    sources: dict[str, Any] | None = None,
) -> tuple[SubmissionReceipt, bool]:
    """The receipt, and whether anything changed (a new case or a new version).

    Without an Idempotency-Key the submission is one statement in autocommit (service.submit_case) on the
    unit of work's driver connection, which wakes the relay for the statement's outbox row. With a key, the
    replay, the submission and the remembered answer are one transaction. Two first submissions of one case
    (or one key) may race; the loser's transaction fails on a unique key and is tried again, and then finds
    the winner's row."""
    request_hash = hashlib.sha256(request_body).hexdigest() if idempotency_key else ""
    for attempt in range(ATTEMPTS):
        try:
            if idempotency_key is None:
                async with uow.autocommit() as connection:
                    return await service.submit_case(
                        connection, client=client, submission=submission, topic=topic, sources=sources
                    )
            async with uow.begin() as session:
                replay = await replay_idempotent(
                    session,
                    client=client,
                    key=idempotency_key,
                    request_hash=request_hash,
                    ttl=idempotency_ttl,
                )
                if replay is not None:
                    return replay
                receipt, changed = await service.submit_case(
                    await driver_connection(session),
                    client=client,
                    submission=submission,
                    topic=topic,
                    sources=sources,
                )
                await remember_idempotent(
                    session,
                    client=client,
                    key=idempotency_key,
                    request_hash=request_hash,
                    status_code=answer_status(changed),
                    response=receipt.model_dump(mode="json"),
                )
                return receipt, changed
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def replay_idempotent(
    session: AsyncSession, *, client: str, key: str, request_hash: str, ttl: timedelta
) -> tuple[SubmissionReceipt, bool] | None:
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
    return SubmissionReceipt.model_validate(record.response), record.status_code == answer_status(True)


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
