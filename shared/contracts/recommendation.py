"""The recommendation of contracts.md §3 (schema_version 1): eligibility's output."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

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
