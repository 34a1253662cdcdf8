"""MDT outcomes as the scheduler announces them on mdt-outcomes (shared/contracts/outcome.py), for tests of
the services that read them."""

import uuid
from datetime import UTC, datetime
from typing import Any

from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.outcome import Outcome
from tests.support.kafka import produce


def an_outcome(
    case_id: uuid.UUID | str,
    *,
    version: int = 1,
    case_version: int = 1,
    ruleset: str = "2026.12",
    verdicts: dict[str, str] | None = None,
    decisions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A valid outcome.recorded payload (checked by the contract's model), notes left out as the scheduler
    leaves them out."""
    outcome = {
        "outcome_id": str(uuid.uuid4()),
        "version": version,
        "case_id": str(case_id),
        "case_version": case_version,
        "meeting_id": None,
        "booking_id": str(uuid.uuid4()),
        "ruleset_version": ruleset,
        "recorded_at": datetime.now(UTC).isoformat(),
        "recorded_by_role": "clinician",
        "verdicts": verdicts or {"external_beam_radiotherapy": "recommended", "surgery": "consider"},
        "decisions": decisions
        or [
            {"therapy": "external_beam_radiotherapy", "decision": "accepted"},
            {"therapy": "surgery", "decision": "declined", "reason_code": "comorbidity"},
        ],
        "intent": "palliative",
        "decision_to_treat_date": "2026-12-01",
        "attendees": [1, 2, 3],
        "further_investigations": [],
    }
    return Outcome.model_validate(outcome).model_dump(mode="json", exclude_none=False)


def outcome_event(outcome: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        event_type=EventType.outcome_recorded,
        case_id=uuid.UUID(outcome["case_id"]),
        case_version=outcome["case_version"],
        payload=outcome,
    )


async def publish(bootstrap: str, topic_prefix: str, event: EventEnvelope) -> None:
    await produce(
        bootstrap,
        f"{topic_prefix}mdt-outcomes",
        event.model_dump_json().encode(),
        key=str(event.case_id).encode(),
    )
