"""Intake's case routes (native JSON) in process: who may call them, what reaches the use case, and the
status and problem+json body of every answer."""

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.intake import service, submission
from services.intake.case_view import CaseView, PipelineStatus, SubmissionReceipt
from services.intake.submission import IdempotencyConflictError
from tests.support.cases import a_case
from tests.support.fake_unit_of_work import FakeUnitOfWork
from tests.support.services import auth
from tests.unit.intake_routes.conftest import problem

CASE_ID = uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e")
RECEIPT = SubmissionReceipt(case_id=CASE_ID, case_version=2, status=PipelineStatus.received)


class Calls:
    """A use case stand-in: keeps each call's arguments, then answers with `result` (or raises it)."""

    def __init__(self, result: Any) -> None:
        self.result = result
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs))
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


@pytest.fixture
def replace(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any, str, Any], Calls]:
    def install(module: Any, name: str, result: Any) -> Calls:
        fake = Calls(result)
        monkeypatch.setattr(module, name, fake)
        return fake

    return install


@pytest.mark.parametrize(("changed", "status"), [(True, 202), (False, 200)])
async def test_a_case_is_accepted_202_when_it_changed_and_200_when_identical(
    intake: httpx.AsyncClient,
    uow: FakeUnitOfWork,
    replace: Callable[..., Calls],
    changed: bool,
    status: int,
) -> None:
    submit = replace(submission, "submit", (RECEIPT, changed))
    case = a_case()
    response = await intake.post(
        "/v1/cases",
        json=case,
        headers={**auth("integration"), "X-Client-Id": "hospital-a", "Idempotency-Key": "k-1"},
    )
    assert response.status_code == status
    assert response.json() == {"case_id": str(CASE_ID), "case_version": 2, "status": "received"}
    ((given_uow,), kwargs) = submit.calls[0]
    assert given_uow is uow
    assert kwargs["client"] == "hospital-a" and kwargs["idempotency_key"] == "k-1"
    assert kwargs["topic"] == "run-1.case-events"
    assert kwargs["idempotency_ttl"] == timedelta(hours=24)
    assert kwargs["submission"].external_id == case["external_id"] and kwargs["sources"] is None
    assert kwargs["request_body"] == response.request.content


async def test_without_client_or_key_the_defaults_reach_the_use_case(
    intake: httpx.AsyncClient, replace: Callable[..., Calls]
) -> None:
    submit = replace(submission, "submit", (RECEIPT, True))
    assert (await intake.post("/v1/cases", json=a_case(), headers=auth("integration"))).status_code == 202
    kwargs = submit.calls[0][1]
    assert kwargs["client"] == "default" and kwargs["idempotency_key"] is None


async def test_a_reused_idempotency_key_is_409_with_its_own_title(
    intake: httpx.AsyncClient, replace: Callable[..., Calls]
) -> None:
    replace(submission, "submit", IdempotencyConflictError())
    response = await intake.post(
        "/v1/cases", json=a_case(), headers={**auth("integration"), "Idempotency-Key": "k-1"}
    )
    body = problem(response, 409)
    assert body["title"] == "Idempotency key reused"
    assert body["detail"] == "this Idempotency-Key was used before for a different request body"


@pytest.mark.parametrize(
    ("headers", "status", "detail"),
    [
        ({}, 401, "a bearer token is required"),
        ({"Authorization": "Bearer not-a-token"}, 401, "the bearer token is not valid"),
        (auth("ops"), 403, "role ops may not do this; needs one of ['integration']"),
        (auth("coordinator"), 403, "role coordinator may not do this; needs one of ['integration']"),
    ],
)
async def test_writing_needs_the_integration_role(
    intake: httpx.AsyncClient,
    replace: Callable[..., Calls],
    headers: dict[str, str],
    status: int,
    detail: str,
) -> None:
    submit = replace(submission, "submit", (RECEIPT, True))
    withdraw = replace(service, "withdraw_case", (RECEIPT, True))
    for response in (
        await intake.post("/v1/cases", json=a_case(), headers=headers),
        await intake.delete(f"/v1/cases/{CASE_ID}", headers=headers),
    ):
        assert problem(response, status)["detail"] == detail
        if status == 401:
            assert response.headers["www-authenticate"] == "Bearer"
    assert submit.calls == [] and withdraw.calls == []


async def test_an_invalid_case_is_422_naming_every_failing_field(
    intake: httpx.AsyncClient, replace: Callable[..., Calls]
) -> None:
    submit = replace(submission, "submit", (RECEIPT, True))
    case = a_case()
    del case["external_id"]
    case["patient"]["age_years"] = "old"
    body = problem(await intake.post("/v1/cases", json=case, headers=auth("integration")), 422)
    assert body["title"] == "Invalid request"
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"external_id", "patient.age_years"}
    assert submit.calls == []


async def test_malformed_json_is_400_and_another_media_type_415(
    intake: httpx.AsyncClient, replace: Callable[..., Calls]
) -> None:
    submit = replace(submission, "submit", (RECEIPT, True))
    json_headers = {**auth("integration"), "Content-Type": "application/json"}
    malformed = await intake.post("/v1/cases", content=b'{"external_id": ', headers=json_headers)
    assert problem(malformed, 400)["title"] == "Malformed JSON"
    text = await intake.post(
        "/v1/cases", content=b"external_id=x", headers={**auth("integration"), "Content-Type": "text/plain"}
    )
    assert problem(text, 415)["title"] == "Unsupported media type"
    assert submit.calls == []


async def test_a_client_id_outside_its_pattern_is_422_naming_the_header(
    intake: httpx.AsyncClient, replace: Callable[..., Calls]
) -> None:
    replace(submission, "submit", (RECEIPT, True))
    response = await intake.post(
        "/v1/cases", json=a_case(), headers={**auth("integration"), "X-Client-Id": "no spaces"}
    )
    assert [error["field"] for error in problem(response, 422)["errors"]] == ["header.X-Client-Id"]


def _view(**overrides: Any) -> CaseView:
    fields: dict[str, Any] = {
        "case_id": CASE_ID,
        "external_id": "ext-1",
        "case_version": 2,
        "status": PipelineStatus.received,
        "recommendation": None,
        "booking": None,
        "submission": {},
        "sources": None,
    }
    return CaseView(**{**fields, **overrides})


async def test_a_case_is_read_by_integration_and_ops_and_only_ops_sees_the_trace_id(
    intake: httpx.AsyncClient, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, uuid.UUID, bool]] = []

    async def get_case(given_uow: Any, case_id: uuid.UUID, *, with_trace: bool = False) -> CaseView:
        seen.append((given_uow, case_id, with_trace))
        view = _view()
        if with_trace:
            view.trace_id = None
        return view

    monkeypatch.setattr(service, "get_case", get_case)
    as_integration = await intake.get(f"/v1/cases/{CASE_ID}", headers=auth("integration"))
    as_ops = await intake.get(f"/v1/cases/{CASE_ID}", headers=auth("ops"))
    assert as_integration.status_code == as_ops.status_code == 200
    assert "trace_id" not in as_integration.json()
    assert as_ops.json()["trace_id"] is None
    assert seen == [(uow, CASE_ID, False), (uow, CASE_ID, True)]
    refused = await intake.get(f"/v1/cases/{CASE_ID}", headers=auth("coordinator"))
    assert problem(refused, 403)["title"] == "Forbidden"
    assert problem(await intake.get(f"/v1/cases/{CASE_ID}"), 401)["title"] == "Unauthorized"


async def test_an_unknown_case_is_404_to_read_and_to_withdraw(
    intake: httpx.AsyncClient, replace: Callable[..., Calls]
) -> None:
    replace(service, "get_case", service.CaseNotFoundError())
    replace(service, "withdraw_case", service.CaseNotFoundError())
    for response in (
        await intake.get(f"/v1/cases/{CASE_ID}", headers=auth("ops")),
        await intake.delete(f"/v1/cases/{CASE_ID}", headers=auth("integration")),
    ):
        body = problem(response, 404)
        assert (body["title"], body["detail"]) == ("Not found", "no case with this id")


async def test_a_case_id_that_is_not_a_uuid_is_422_naming_it(
    intake: httpx.AsyncClient, replace: Callable[..., Calls]
) -> None:
    read = replace(service, "get_case", _view())
    withdraw = replace(service, "withdraw_case", (RECEIPT, True))
    for response in (
        await intake.get("/v1/cases/not-a-uuid", headers=auth("ops")),
        await intake.delete("/v1/cases/not-a-uuid", headers=auth("integration")),
    ):
        assert [error["field"] for error in problem(response, 422)["errors"]] == ["path.case_id"]
    assert read.calls == [] and withdraw.calls == []


@pytest.mark.parametrize(("changed", "status"), [(True, 202), (False, 200)])
async def test_a_withdrawal_is_202_and_200_when_the_case_was_already_withdrawn(
    intake: httpx.AsyncClient,
    uow: FakeUnitOfWork,
    replace: Callable[..., Calls],
    changed: bool,
    status: int,
) -> None:
    withdrawn = SubmissionReceipt(case_id=CASE_ID, case_version=2, status=PipelineStatus.withdrawn)
    withdraw = replace(service, "withdraw_case", (withdrawn, changed))
    response = await intake.delete(f"/v1/cases/{CASE_ID}", headers=auth("integration"))
    assert response.status_code == status
    assert response.json() == {"case_id": str(CASE_ID), "case_version": 2, "status": "withdrawn"}
    assert withdraw.calls == [((uow,), {"case_id": CASE_ID, "topic": "run-1.case-events"})]
