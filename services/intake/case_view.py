"""What intake shows of a case: the pipeline status derived from the latest version and downstream events."""

from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from services.intake.adapters.tables import CaseRecord


class PipelineStatus(StrEnum):
    received = "received"
    evaluated = "evaluated"
    booked = "booked"
    waitlisted = "waitlisted"
    cancelled = "cancelled"
    withdrawn = "withdrawn"


_BOOKING_STATUS = {
    "confirmed": PipelineStatus.booked,
    "waitlisted": PipelineStatus.waitlisted,
    "cancelled": PipelineStatus.cancelled,
}


class SubmissionReceipt(BaseModel):
    case_id: UUID
    case_version: int
    status: PipelineStatus


class CaseView(BaseModel):
    case_id: UUID
    external_id: str
    case_version: int
    status: PipelineStatus
    recommendation: dict[str, Any] | None
    booking: dict[str, Any] | None
    trace_id: str | None = Field(
        default=None,
        description="The W3C trace id of the submission that made the current version; shown to the ops role"
        " only (open it in the trace backend, e.g. Jaeger at /trace/{trace_id}).",
        pattern="^[0-9a-f]{32}$",
    )


def pipeline_status(case: CaseRecord) -> PipelineStatus:
    if case.withdrawn_at is not None:
        return PipelineStatus.withdrawn
    if case.booking is not None and case.booking.get("case_version") == case.version:
        return _BOOKING_STATUS.get(case.booking.get("status", ""), PipelineStatus.evaluated)
    if case.recommendation is not None and case.recommendation.get("case_version") == case.version:
        return PipelineStatus.evaluated
    return PipelineStatus.received


def case_view(case: CaseRecord) -> CaseView:
    return CaseView(
        case_id=case.case_id,
        external_id=case.external_id,
        case_version=case.version,
        status=pipeline_status(case),
        recommendation=case.recommendation,
        booking=case.booking,
    )


def ops_case_view(case: CaseRecord, trace_id: str | None) -> CaseView:
    """The case view with the trace of its current version (the field is left out for other roles)."""
    view = case_view(case)
    view.trace_id = trace_id
    return view


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
