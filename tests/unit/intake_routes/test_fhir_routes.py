"""Intake's FHIR routes in process: a posted Bundle is mapped before the use case sees it, and every error,
authentication and media type included, is an OperationOutcome (contracts.md §5)."""

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.intake import service, submission
from services.intake.case_view import PipelineStatus, SubmissionReceipt
from services.intake.submission import IdempotencyConflictError
from tests.support.fake_unit_of_work import FakeUnitOfWork
from tests.support.services import auth
from tests.unit.intake_routes.conftest import FHIR_JSON, outcome

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "fhir" / "example-bundle.json"
CASE_ID = uuid.UUID("0c9d8e7f-6a5b-4c3d-8e1f-2a3b4c5d6e7f")
RECEIPT = SubmissionReceipt(case_id=CASE_ID, case_version=1, status=PipelineStatus.received)


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    calls: list[tuple[Any, dict[str, Any]]] = []

    async def submit(uow: Any, **kwargs: Any) -> tuple[SubmissionReceipt, bool]:
        calls.append((uow, kwargs))
        return RECEIPT, True

    monkeypatch.setattr(submission, "submit", submit)
    return calls


def fhir(role: str | None = "integration", **headers: str) -> dict[str, str]:
    return {**(auth(role) if role else {}), "Content-Type": FHIR_JSON, **headers}


async def test_a_bundle_is_mapped_and_submitted_with_its_field_sources(
    intake: httpx.AsyncClient, uow: FakeUnitOfWork, submitted: list[tuple[Any, dict[str, Any]]]
) -> None:
    body = EXAMPLE.read_bytes()
    response = await intake.post(
        "/v1/fhir/Bundle", content=body, headers=fhir(**{"X-Client-Id": "ehr-1", "Idempotency-Key": "b-1"})
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"case_id": str(CASE_ID), "case_version": 1, "status": "received"}
    ((given_uow, kwargs),) = submitted
    assert given_uow is uow
    assert kwargs["client"] == "ehr-1" and kwargs["idempotency_key"] == "b-1"
    assert kwargs["request_body"] == body
    assert kwargs["submission"].patient.pseudonym  # mapped: the identifier became a pseudonym
    assert kwargs["sources"] and all("resource_type" in source for source in kwargs["sources"].values())


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        (fhir(None), 401, "login"),
        (fhir("ops"), 403, "forbidden"),
        (fhir("clinician"), 403, "forbidden"),
    ],
)
async def test_posting_a_bundle_needs_the_integration_role(
    intake: httpx.AsyncClient,
    submitted: list[tuple[Any, dict[str, Any]]],
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    response = await intake.post("/v1/fhir/Bundle", content=EXAMPLE.read_bytes(), headers=headers)
    assert [issue["code"] for issue in outcome(response, status)] == [code]
    assert submitted == []


async def test_a_body_that_is_not_json_is_400_and_another_media_type_415(
    intake: httpx.AsyncClient, submitted: list[tuple[Any, dict[str, Any]]]
) -> None:
    (not_json,) = outcome(await intake.post("/v1/fhir/Bundle", content=b"{", headers=fhir()), 400)
    assert not_json["code"] == "structure" and "not valid JSON" in not_json["diagnostics"]
    text = await intake.post(
        "/v1/fhir/Bundle", content=b"Bundle", headers={**auth("integration"), "Content-Type": "text/plain"}
    )
    (unsupported,) = outcome(text, 415)
    assert unsupported["code"] == "not-supported"
    assert submitted == []


async def test_a_bundle_without_a_case_is_422_listing_each_issue_where_it_is(
    intake: httpx.AsyncClient, submitted: list[tuple[Any, dict[str, Any]]]
) -> None:
    bundle: dict[str, Any] = json.loads(EXAMPLE.read_text())
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Patient"]
    response = await intake.post("/v1/fhir/Bundle", content=json.dumps(bundle).encode(), headers=fhir())
    issues = outcome(response, 422)
    assert issues and all(issue["severity"] == "error" for issue in issues)
    assert any("Patient" in issue["diagnostics"] for issue in issues)
    assert submitted == []


async def test_a_header_outside_its_pattern_is_422_naming_it(
    intake: httpx.AsyncClient, submitted: list[tuple[Any, dict[str, Any]]]
) -> None:
    response = await intake.post(
        "/v1/fhir/Bundle", content=EXAMPLE.read_bytes(), headers=fhir(**{"X-Client-Id": "a/b"})
    )
    (issue,) = outcome(response, 422)
    assert issue["code"] == "invalid" and issue["expression"] == ["header.X-Client-Id"]


async def test_a_reused_idempotency_key_is_a_409_outcome(
    intake: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def conflict(*_: Any, **__: Any) -> None:
        raise IdempotencyConflictError

    monkeypatch.setattr(submission, "submit", conflict)
    response = await intake.post(
        "/v1/fhir/Bundle", content=EXAMPLE.read_bytes(), headers=fhir(**{"Idempotency-Key": "b-1"})
    )
    (issue,) = outcome(response, 409)
    assert issue["code"] == "conflict"
    assert issue["diagnostics"] == "this Idempotency-Key was used before for a different request body"


async def test_a_cases_fhir_bundle_is_read_by_integration_and_ops(
    intake: httpx.AsyncClient, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, uuid.UUID]] = []

    async def get_case_fhir(given_uow: Any, case_id: uuid.UUID) -> dict[str, Any]:
        seen.append((given_uow, case_id))
        return {"resourceType": "Bundle", "type": "collection", "entry": []}

    monkeypatch.setattr(service, "get_case_fhir", get_case_fhir)
    for role in ("integration", "ops"):
        response = await intake.get(f"/v1/cases/{CASE_ID}/fhir", headers=auth(role))
        assert response.status_code == 200
        assert response.headers["content-type"] == FHIR_JSON
        assert response.json()["resourceType"] == "Bundle"
    assert seen == [(uow, CASE_ID), (uow, CASE_ID)]
    assert [i["code"] for i in outcome(await intake.get(f"/v1/cases/{CASE_ID}/fhir"), 401)] == ["login"]
    refused = await intake.get(f"/v1/cases/{CASE_ID}/fhir", headers=auth("coordinator"))
    assert [i["code"] for i in outcome(refused, 403)] == ["forbidden"]


async def test_an_unknown_or_malformed_case_id_is_an_outcome_too(
    intake: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unknown(*_: Any) -> None:
        raise service.CaseNotFoundError

    monkeypatch.setattr(service, "get_case_fhir", unknown)
    (missing,) = outcome(await intake.get(f"/v1/cases/{CASE_ID}/fhir", headers=auth("ops")), 404)
    assert (missing["code"], missing["diagnostics"]) == ("not-found", "no case with this id")
    (malformed,) = outcome(await intake.get("/v1/cases/nope/fhir", headers=auth("ops")), 422)
    assert malformed["code"] == "invalid" and malformed["expression"] == ["path.case_id"]
