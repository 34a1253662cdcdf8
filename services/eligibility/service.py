"""Eligibility's use cases: evaluate a case version once, store it, announce it."""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.eligibility.adapters.tables import CaseProgress, RecommendationRecord, outbox
from services.eligibility.domain import evaluate
from shared.contracts.case import CaseSubmission
from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.recommendation import Recommendation
from shared.kafka.consumer import PoisonEventError
from shared.kafka.outbox import add_to_outbox


async def _progress(session: AsyncSession, case_id: UUID) -> CaseProgress | None:
    return await session.get(CaseProgress, case_id, with_for_update=True)


async def evaluate_case(
    session: AsyncSession, envelope: EventEnvelope, *, topic: str
) -> Recommendation | None:
    """Evaluates a submitted or updated case version; None when it is stale, withdrawn or already done."""
    case = CaseSubmission.model_validate(envelope.payload)
    if envelope.case_version < 1:
        raise PoisonEventError("case_version must be 1 or more")
    progress = await _progress(session, envelope.case_id)
    if progress is None:
        progress = CaseProgress(case_id=envelope.case_id, latest_version=envelope.case_version)
        session.add(progress)
    elif progress.withdrawn_at is not None or envelope.case_version < progress.latest_version:
        return None
    progress.latest_version = envelope.case_version
    progress.updated_at = datetime.now(UTC)

    recommendation = evaluate(
        case, case_id=envelope.case_id, case_version=envelope.case_version, evaluated_at=datetime.now(UTC)
    )
    inserted = await session.execute(
        insert(RecommendationRecord)
        .values(
            case_id=envelope.case_id,
            case_version=envelope.case_version,
            ruleset_version=recommendation.ruleset_version,
            urgency=recommendation.urgency.value,
            content=recommendation.model_dump(mode="json"),
            evaluated_at=recommendation.evaluated_at,
        )
        .on_conflict_do_nothing()
        .returning(col(RecommendationRecord.id))
    )
    if inserted.first() is None:
        return None  # this version was evaluated under this ruleset already
    await add_to_outbox(
        session,
        outbox,
        topic,
        EventEnvelope(
            event_type=EventType.recommendation_issued,
            case_id=envelope.case_id,
            case_version=envelope.case_version,
            payload=recommendation.model_dump(mode="json"),
        ),
    )
    return recommendation


async def withdraw_case(session: AsyncSession, envelope: EventEnvelope) -> None:
    progress = await _progress(session, envelope.case_id)
    now = datetime.now(UTC)
    if progress is None:
        session.add(
            CaseProgress(case_id=envelope.case_id, latest_version=envelope.case_version, withdrawn_at=now)
        )
    elif progress.withdrawn_at is None:
        progress.withdrawn_at = now
        progress.updated_at = now


async def reopen_if_withdrawn(session: AsyncSession, envelope: EventEnvelope) -> None:
    """A changed resubmission after a withdrawal re-opens the referral (intake does the same)."""
    progress = await _progress(session, envelope.case_id)
    if (
        progress is not None
        and progress.withdrawn_at is not None
        and envelope.case_version > progress.latest_version
    ):
        progress.withdrawn_at = None


async def latest_recommendation(session: AsyncSession, case_id: UUID) -> Recommendation | None:
    record = (
        await session.exec(
            select(RecommendationRecord)
            .where(RecommendationRecord.case_id == case_id)
            .order_by(
                col(RecommendationRecord.case_version).desc(), col(RecommendationRecord.evaluated_at).desc()
            )
            .limit(1)
        )
    ).first()
    return None if record is None else Recommendation.model_validate(record.content)
