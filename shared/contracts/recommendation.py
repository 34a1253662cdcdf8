"""The recommendation of contracts.md §3 (schema_version 1): eligibility's output."""

from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.codes import Specialty, TherapyCode, Urgency, Verdict


class RecommendationModel(BaseModel):
    model_config = ConfigDict(frozen=True)


class Reason(RecommendationModel):
    code: str
    text: str
    source: str


class TherapyVerdict(RecommendationModel):
    code: TherapyCode
    status: Verdict
    reasons: list[Reason]
    missing: list[str] = []
    eligible_from: date | None = None


class LesionScores(RecommendationModel):
    sins: int | None = None
    sins_band: Literal["stable", "indeterminate", "unstable"] | None = None
    mirels: int | None = None


class Alert(RecommendationModel):
    code: str
    text: str


class Discussion(StrEnum):
    """How the MDT takes the case (clinical-rules.md §7, from ruleset 2026.12)."""

    full = "full"
    standard_of_care = "standard_of_care"


class Recommendation(RecommendationModel):
    schema_version: Literal[1] = 1
    case_id: UUID | None
    case_version: int
    ruleset_version: str
    evaluated_at: datetime
    urgency: Urgency
    book_within_hours: int
    required_specialties: list[Specialty]
    therapies: list[TherapyVerdict]
    scores: dict[str, LesionScores]
    alerts: list[Alert]
    # Additive to schema version 1 (ruleset 2026.12, clinical-rules.md §7). Every recommendation of ruleset
    # 2026.12 or later sets both; null (and an empty list) only on one stored or published under 2026.11,
    # before the field existed.
    discussion: Discussion | None = Field(
        default=None,
        description="full or standard_of_care (clinical-rules.md §7); null only on a recommendation issued "
        "under ruleset 2026.11",
    )
    discussion_reasons: list[str] = Field(
        default=[],
        description="the codes that made the case full, once each, in §7's order; empty for standard_of_care",
    )
