"""What intake shows of a case: the pipeline status derived from the latest version and downstream events."""

from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from services.intake.adapters.tables import CaseRecord


class PipelineStatus(StrEnum):
    received = "received"
    evaluated = "evaluated"
    booked = "booked"
    listed = "listed"  # on an MDT meeting's agenda (meetings.md §4: a booking payload of kind `meeting`)
    waitlisted = "waitlisted"
    cancelled = "cancelled"
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


class CaseView(BaseModel):
    case_id: UUID
    external_id: str
    case_version: int
    status: PipelineStatus
    recommendation: dict[str, Any] | None
    booking: dict[str, Any] | None


def pipeline_status(case: CaseRecord) -> PipelineStatus:
    if case.withdrawn_at is not None:
        return PipelineStatus.withdrawn
    if case.booking is not None and case.booking.get("case_version") == case.version:
        return booking_status(case.booking)
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
