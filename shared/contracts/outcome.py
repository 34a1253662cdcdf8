"""The MDT outcome of meetings.md §6: what a meeting decided for each therapy. The request a clinician posts,
and the recorded outcome that the `outcome.recorded` event carries on `mdt-outcomes`."""

from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.codes import TherapyCode, Verdict


class Decision(StrEnum):
    accepted = "accepted"
    declined = "declined"
    modified = "modified"
    deferred = "deferred"


class DecisionReason(StrEnum):
    patient_choice = "patient_choice"
    comorbidity = "comorbidity"
    clinical_judgement = "clinical_judgement"
    new_information = "new_information"
    resource_constraint = "resource_constraint"
    other = "other"


class Intent(StrEnum):
    curative = "curative"
    life_prolonging = "life_prolonging"
    palliative = "palliative"
    supportive = "supportive"


class FurtherInvestigation(StrEnum):
    imaging = "imaging"
    histology = "histology"
    spine_mri = "spine_mri"
    bloods = "bloods"
    other = "other"


DECISIONS_NEEDING_A_REASON = frozenset({Decision.declined, Decision.modified})
VERDICTS_NEEDING_A_DECISION = frozenset({Verdict.recommended, Verdict.consider})


class TherapyDecision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    therapy: TherapyCode
    decision: Decision
    reason_code: DecisionReason | None = None
    # Free text by clinicians: kept in PostgreSQL only, never logged, traced or echoed in an error.
    note: str | None = Field(default=None, max_length=500)


class OutcomeRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    decisions: list[TherapyDecision]
    intent: Intent
    decision_to_treat_date: date | None = None
    attendees: list[int] = Field(min_length=1)
    further_investigations: list[FurtherInvestigation] = []


class Outcome(OutcomeRequest):
    """A recorded outcome (schema_version 1). Never changed: a new recording is version + 1."""

    schema_version: Literal[1] = 1
    outcome_id: UUID
    version: int = Field(ge=1)
    case_id: UUID
    case_version: int
    meeting_id: UUID | None
    booking_id: UUID | None
    ruleset_version: str
    recorded_at: datetime
    recorded_by_role: str
    verdicts: dict[TherapyCode, Verdict]
