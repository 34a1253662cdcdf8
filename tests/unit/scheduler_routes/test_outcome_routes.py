"""Recording an MDT outcome over HTTP: who may, and how each refusal is answered (meetings.md §6)."""

import uuid
from typing import Any

import pytest

from services.scheduler import outcomes
from services.scheduler.coordination import ConflictError, NotFoundError
from services.scheduler.domain.outcome import OutcomeProblem
from services.scheduler.outcomes import OutcomeInvalidError
from shared.contracts.outcome import Outcome
from tests.support.outcomes import an_outcome
from tests.unit.scheduler_routes.conftest import Api, fields, problem

MEETING, ITEM, BOOKING = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
ROUTES = [
    ("record_item_outcome", f"/v1/meetings/{MEETING}/items/{ITEM}/outcome"),
    ("record_huddle_outcome", f"/v1/bookings/{BOOKING}/outcome"),
]
REQUEST: dict[str, Any] = {
    "decisions": [{"therapy": "external_beam_radiotherapy", "decision": "accepted"}],
    "intent": "palliative",
    "attendees": [1, 2, 3],
}


@pytest.mark.parametrize(("use_case", "path"), ROUTES)
@pytest.mark.parametrize("role", ["coordinator", "clinician"])
async def test_a_coordinator_or_clinician_records_an_outcome(
    api: Api, use_case: str, path: str, role: str
) -> None:
    recorded = Outcome.model_validate(an_outcome(uuid.uuid4()))
    calls = api.fake(outcomes, use_case, recorded)
    response = await api.client.post(path, json=REQUEST, headers=api.as_role(role))
    assert response.status_code == 201, response.text
    assert Outcome.model_validate(response.json()) == recorded
    [call] = calls
    assert call.kwargs["role"] == role and call.kwargs["policy"] is api.context.policy
    assert api.uow.committed == 1


@pytest.mark.parametrize(("use_case", "path"), ROUTES)
async def test_no_token_is_401_and_ops_is_403(api: Api, use_case: str, path: str) -> None:
    calls = api.fake(outcomes, use_case)
    problem(await api.client.post(path, json=REQUEST, headers=api.as_role(None)), 401)
    problem(await api.client.post(path, json=REQUEST, headers=api.as_role("ops")), 403)
    problem(await api.client.post(path, json=REQUEST, headers=api.as_role("integration")), 403)
    assert calls == [] and api.uow.committed == api.uow.rolled_back == 0


@pytest.mark.parametrize(("use_case", "path"), ROUTES)
async def test_an_unknown_item_or_booking_is_404(api: Api, use_case: str, path: str) -> None:
    api.fake(outcomes, use_case, raises=NotFoundError("no such item on this meeting"))
    body = problem(await api.client.post(path, json=REQUEST), 404)
    assert (body["title"], body["detail"]) == ("Not found", "no such item on this meeting")
    assert api.uow.rolled_back == 1 and api.uow.committed == 0


@pytest.mark.parametrize(("use_case", "path"), ROUTES)
async def test_a_deferred_item_is_409_naming_where_the_case_went(api: Api, use_case: str, path: str) -> None:
    reason = f"item {ITEM} was deferred (not_ready); the case moved to item 1 of meeting 2"
    api.fake(outcomes, use_case, raises=ConflictError(reason))
    body = problem(await api.client.post(path, json=REQUEST), 409)
    assert (body["title"], body["detail"]) == ("Conflict", reason)
    assert api.uow.rolled_back == 1


@pytest.mark.parametrize(("use_case", "path"), ROUTES)
async def test_an_outcome_against_the_rules_is_422_listing_every_failing_field(
    api: Api, use_case: str, path: str
) -> None:
    broken = [
        OutcomeProblem("decisions", "surgery is recommended: a decision is required"),
        OutcomeProblem("decisions[0].reason_code", "required when the decision is declined"),
        OutcomeProblem("attendees", "radiology is not covered"),
    ]
    api.fake(outcomes, use_case, raises=OutcomeInvalidError(broken))
    body = problem(await api.client.post(path, json=REQUEST), 422)
    assert (body["title"], body["detail"]) == ("Invalid outcome", "3 field(s) failed validation")
    assert body["errors"] == [p.as_error() for p in broken]
    assert api.uow.rolled_back == 1


@pytest.mark.parametrize(("use_case", "path"), ROUTES)
async def test_a_malformed_request_is_refused_before_the_use_case(api: Api, use_case: str, path: str) -> None:
    calls = api.fake(outcomes, use_case)
    body = problem(await api.client.post(path, json={**REQUEST, "attendees": [], "intent": "x"}), 422)
    assert {"attendees", "intent"} <= fields(body).keys()
    problem(await api.client.post(path, content=b"{", headers={"content-type": "application/json"}), 400)
    assert calls == []
