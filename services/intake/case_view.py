"""What intake shows of a case: the pipeline status derived from the latest version and downstream events."""

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from services.intake.adapters.tables import CaseRecord, CaseVersionRecord


class PipelineStatus(StrEnum):
    received = "received"
    evaluated = "evaluated"
    booked = "booked"
    listed = "listed"  # on an MDT meeting's agenda (meetings.md §4: a booking payload of kind `meeting`)
    waitlisted = "waitlisted"
    cancelled = "cancelled"
    discussed = "discussed"
    withdrawn = "withdrawn"


_BOOKING_STATUS = {
    "confirmed": PipelineStatus.booked,
    "waitlisted": PipelineStatus.waitlisted,
    "cancelled": PipelineStatus.cancelled,
}


def booking_status(booking: dict[str, Any]) -> PipelineStatus:
    """The status a booking payload gives the case: schema version 1 (a huddle booking) and 2 (a placement,
    whose `kind` is `meeting` or `huddle`; a confirmed meeting placement is `listed`)."""
    status = _BOOKING_STATUS.get(booking.get("status", ""), PipelineStatus.evaluated)
    if status == PipelineStatus.booked and booking.get("kind") == "meeting":
        return PipelineStatus.listed
    return status


class SubmissionReceipt(BaseModel):
    case_id: UUID
    case_version: int
    status: PipelineStatus


def answer_status(changed: bool) -> int:
    """The HTTP status of a receipt: 202 when the request changed the case, 200 when it changed nothing. An
    Idempotency-Key keeps it with the receipt, so that a replay is the first answer."""
    return 202 if changed else 200


class FieldSource(BaseModel):
    """The FHIR resource a case field was mapped from, and where in the posted Bundle."""

    resource_type: str
    id: str | None
    expression: list[str]


class CaseView(BaseModel):
    case_id: UUID
    external_id: str
    case_version: int
    status: PipelineStatus
    recommendation: dict[str, Any] | None
    booking: dict[str, Any] | None
    outcome: dict[str, Any] | None = Field(
        default=None,
        description="the MDT's latest outcome (meetings.md §6): version, intent, decision-to-treat date and each "
        "therapy's decision; a later recording supersedes it",
    )
    trace_id: str | None = Field(
        default=None,
        description="The W3C trace id of the submission that made the current version; shown to the ops role"
        " only (open it in the trace backend, e.g. Jaeger at /trace/{trace_id}).",
        pattern="^[0-9a-f]{32}$",
    )
    submission: dict[str, Any] = Field(
        description="the case as intake holds it: the normalised submission of the latest version"
    )
    sources: dict[str, FieldSource] | None = Field(
        description="for a FHIR submission, case field path (e.g. lesions[0].site) -> the resource it came "
        "from; null for a native JSON submission"
    )


def pipeline_status(case: CaseRecord) -> PipelineStatus:
    return status_of(case.version, case.withdrawn_at, case.outcome, case.booking, case.recommendation)


def status_of(
    version: int,
    withdrawn_at: datetime | None,
    outcome: dict[str, Any] | None,
    booking: dict[str, Any] | None,
    recommendation: dict[str, Any] | None,
) -> PipelineStatus:
    if withdrawn_at is not None:
        return PipelineStatus.withdrawn
    if outcome is not None and outcome.get("case_version") == version:
        return PipelineStatus.discussed
    if booking is not None and booking.get("case_version") == version:
        return booking_status(booking)
    if recommendation is not None and recommendation.get("case_version") == version:
        return PipelineStatus.evaluated
    return PipelineStatus.received


def case_view(case: CaseRecord, version: CaseVersionRecord | None = None) -> CaseView:
    return CaseView(
        case_id=case.case_id,
        external_id=case.external_id,
        case_version=case.version,
        status=pipeline_status(case),
        recommendation=case.recommendation,
        booking=case.booking,
        outcome=None if case.outcome is None else outcome_summary(case.outcome),
        submission=case.content,
        sources=version.sources if version is not None else None,
    )


def recommendation_summary(recommendation: dict[str, Any]) -> dict[str, Any]:
    """The part of a recommendation a referrer needs: urgency, who meets, and each therapy's verdict."""
    return {
        "case_version": recommendation["case_version"],
        "ruleset_version": recommendation["ruleset_version"],
        "evaluated_at": recommendation["evaluated_at"],
        "urgency": recommendation["urgency"],
        "book_within_hours": recommendation["book_within_hours"],
        "required_specialties": recommendation["required_specialties"],
        "therapies": {t["code"]: t["status"] for t in recommendation["therapies"]},
        "alerts": [alert["code"] for alert in recommendation.get("alerts", [])],
    }


def outcome_summary(outcome: dict[str, Any]) -> dict[str, Any]:
    """What the referrer needs of an MDT outcome: who decided what, with what intent, and from when."""
    return {
        "version": outcome["version"],
        "case_version": outcome["case_version"],
        "recorded_at": outcome["recorded_at"],
        "intent": outcome["intent"],
        "decision_to_treat_date": outcome.get("decision_to_treat_date"),
        "decisions": [
            {"therapy": d["therapy"], "decision": d["decision"], "reason_code": d.get("reason_code")}
            for d in outcome["decisions"]
        ],
        "meeting_id": outcome.get("meeting_id"),
        "booking_id": outcome.get("booking_id"),
    }
