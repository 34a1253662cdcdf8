"""Eligibility's HTTP API: the what-if evaluation, stored recommendations and the ruleset."""

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from services.eligibility import service
from services.eligibility.domain import evaluate, ruleset_document
from services.eligibility.outcomes import concordance_report
from services.eligibility.schemas import ConcordanceReport, TherapyConcordanceView
from shared.auth import Principal, Role, TokenTable, require_roles
from shared.contracts.case import CaseSubmission
from shared.contracts.recommendation import Recommendation
from shared.db.engine import SessionFactory
from shared.http.problems import ProblemError, problem_responses


def build_router(sessions: SessionFactory, tokens: TokenTable) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["eligibility"])
    reader = Depends(require_roles(tokens, Role.clinician, Role.coordinator, Role.ops))

    @router.post(
        "/evaluate",
        response_model=Recommendation,
        responses=problem_responses(
            400, 401, 403, 413, 422, s400="malformed JSON", s422="invalid case: the failing fields are listed"
        ),
    )
    async def evaluate_what_if(case: CaseSubmission, _: Annotated[Principal, reader]) -> Recommendation:
        """Evaluates a case without storing or publishing anything (case_id null, case_version 0)."""
        return evaluate(case, case_id=None, case_version=0, evaluated_at=datetime.now(UTC))

    @router.get(
        "/recommendations/{case_id}",
        response_model=Recommendation,
        responses=problem_responses(
            401, 403, 404, 422, s404="no recommendation for this case", s422="case_id is not a UUID"
        ),
    )
    async def get_recommendation(case_id: UUID, _: Annotated[Principal, reader]) -> Recommendation:
        async with sessions() as session:
            recommendation = await service.latest_recommendation(session, case_id)
        if recommendation is None:
            raise ProblemError(404, "Not found", "no recommendation for this case")
        return recommendation

    @router.get("/rules", responses=problem_responses(401, 403))
    async def get_rules(_: Annotated[Principal, reader]) -> dict[str, Any]:
        return ruleset_document()

    @router.get(
        "/concordance",
        response_model=ConcordanceReport,
        response_model_by_alias=True,
        responses=problem_responses(401, 403, 422, s422="a filter is not valid"),
    )
    async def get_concordance(
        _: Annotated[Principal, reader],
        ruleset_version: Annotated[str | None, Query(max_length=32, pattern=r"^[0-9A-Za-z._-]+$")] = None,
        from_date: Annotated[date | None, Query(alias="from")] = None,
        to_date: Annotated[date | None, Query(alias="to")] = None,
    ) -> ConcordanceReport:
        """For each therapy, MDT decisions by verdict, from the latest outcome of each case; dates are UTC days
        of recording, both inclusive."""
        if from_date is not None and to_date is not None and from_date > to_date:
            raise ProblemError(
                422,
                "Invalid request",
                "1 field(s) failed validation",
                errors=[{"field": "from", "reason": "must not be after to"}],
            )
        async with sessions() as session, session.begin():
            cases, therapies = await concordance_report(session, ruleset_version, from_date, to_date)
        return ConcordanceReport(
            ruleset_version=ruleset_version,
            from_date=from_date,
            to_date=to_date,
            cases=cases,
            therapies=[TherapyConcordanceView.of(entry) for entry in therapies],
        )

    return router
