"""case-events -> evaluation."""

from sqlmodel.ext.asyncio.session import AsyncSession

from services.eligibility import service
from shared.contracts.events import EventEnvelope, EventType
from shared.kafka.consumer import Handler


def build_handlers(recommendation_topic: str) -> dict[str, Handler]:
    async def on_case_changed(session: AsyncSession, envelope: EventEnvelope) -> None:
        await service.reopen_if_withdrawn(session, envelope)
        await service.evaluate_case(session, envelope, topic=recommendation_topic)

    return {
        EventType.case_submitted.value: on_case_changed,
        EventType.case_updated.value: on_case_changed,
        EventType.case_withdrawn.value: service.withdraw_case,
    }
