"""Eligibility's HTTP answers beyond the recommendation itself."""

from datetime import date

from pydantic import BaseModel, Field

from services.eligibility.domain.concordance import TherapyConcordance
from shared.contracts.codes import TherapyCode, Verdict
from shared.contracts.outcome import Decision, DecisionReason


class ReasonCount(BaseModel):
    reason_code: DecisionReason
    count: int


class TherapyConcordanceView(BaseModel):
    therapy: TherapyCode
    counts: dict[Verdict, dict[Decision, int]] = Field(
        description="outcomes by the verdict the meeting saw x the decision it took"
    )
    recommended_accepted_share: float | None = Field(
        description="accepted among the decisions on a recommended verdict; null when there were none"
    )
    consider_accepted_share: float | None = Field(
        description="accepted among the decisions on a consider verdict; null when there were none"
    )
    commonest_decline_reasons: list[ReasonCount]

    @classmethod
    def of(cls, entry: TherapyConcordance) -> "TherapyConcordanceView":
        return cls(
            therapy=entry.therapy,
            counts=entry.counts,
            recommended_accepted_share=entry.recommended_accepted_share,
            consider_accepted_share=entry.consider_accepted_share,
            commonest_decline_reasons=[
                ReasonCount(reason_code=DecisionReason(code), count=n)
                for code, n in entry.commonest_decline_reasons
            ],
        )


class ConcordanceReport(BaseModel):
    """How often MDTs followed the recommendations, from the latest outcome version of each case."""

    ruleset_version: str | None
    from_date: date | None = Field(serialization_alias="from")
    to_date: date | None = Field(serialization_alias="to")
    cases: int = Field(description="cases whose latest outcome passed the filters")
    therapies: list[TherapyConcordanceView]
