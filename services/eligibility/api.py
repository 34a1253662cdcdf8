"""Eligibility's HTTP API: the what-if evaluation, stored recommendations, the ruleset and the concordance
report. Every route is open to the staff roles (coordinator, clinician, ops)."""

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from services.eligibility import outcomes, service
from services.eligibility.domain import evaluate, ruleset_document
from services.eligibility.schemas import ConcordanceReport, TherapyConcordanceView
from shared.contracts.case import CaseSubmission
from shared.contracts.recommendation import Recommendation
from shared.http.dependencies import AnyStaff, UnitOfWorkDep
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["eligibility"])


@router.post(
    "/evaluate",
    response_model=Recommendation,
    responses=problem_responses(
        400, 401, 403, 413, 422, s400="malformed JSON", s422="invalid case: the failing fields are listed"
    ),
)
async def evaluate_what_if(case: CaseSubmission, _: AnyStaff) -> Recommendation:
    """Evaluates a case without storing or publishing anything (case_id null, case_version 0)."""
    return evaluate(case, case_id=None, case_version=0, evaluated_at=datetime.now(UTC))


@router.get(
    "/recommendations/{case_id}",
    response_model=Recommendation,
    responses=problem_responses(
        401, 403, 404, 422, s404="no recommendation for this case", s422="case_id is not a UUID"
    ),
)
async def get_recommendation(case_id: UUID, _: AnyStaff, uow: UnitOfWorkDep) -> Recommendation:
    return await service.latest_recommendation(uow, case_id)


@router.get("/rules", responses=problem_responses(401, 403))
async def get_rules(_: AnyStaff) -> dict[str, Any]:
    return ruleset_document()


@router.get(
    "/concordance",
    response_model=ConcordanceReport,
    response_model_by_alias=True,
    responses=problem_responses(401, 403, 422, s422="a filter is not valid"),
)
async def get_concordance(
    _: AnyStaff,
    uow: UnitOfWorkDep,
    ruleset_version: Annotated[str | None, Query(max_length=32, pattern=r"^[0-9A-Za-z._-]+$")] = None,
    from_date: Annotated[date | None, Query(alias="from")] = None,
    to_date: Annotated[date | None, Query(alias="to")] = None,
) -> ConcordanceReport:
    """For each therapy, MDT decisions by verdict, from the latest outcome of each case; dates are UTC days
    of recording, both inclusive."""
    cases, therapies = await outcomes.concordance_report(uow, ruleset_version, from_date, to_date)
    return ConcordanceReport(
        ruleset_version=ruleset_version,
        from_date=from_date,
        to_date=to_date,
        cases=cases,
        therapies=[TherapyConcordanceView.of(entry) for entry in therapies],
    )
