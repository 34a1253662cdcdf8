"""Eligibility's routes in process (no database): who may call them, what they answer, and what reaches the
use case. The use cases that read are replaced by fakes; a route that reached SQL would fail
(tests/support/fake_unit_of_work.py)."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.eligibility import outcomes, service
from services.eligibility.api import router
from services.eligibility.domain import evaluate
from services.eligibility.domain.concordance import TherapyConcordance
from services.eligibility.service import RecommendationNotFoundError
from shared.auth import TokenTable
from shared.contracts.case import CaseSubmission
from shared.contracts.codes import TherapyCode, Verdict
from shared.contracts.outcome import Decision
from shared.contracts.recommendation import Recommendation
from shared.http.dependencies import unit_of_work
from shared.http.problems import install_problem_handlers
from tests.support.cases import a_case
from tests.support.fake_unit_of_work import FakeUnitOfWork

TOKENS = {"integration": "i-token", "coordinator": "co-token", "clinician": "cl-token", "ops": "o-token"}
ROUTES = [
    ("POST", "/v1/evaluate"),
    ("GET", f"/v1/recommendations/{uuid.uuid4()}"),
    ("GET", "/v1/rules"),
    ("GET", "/v1/concordance"),
]


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
async def client(uow: FakeUnitOfWork) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    app.state.tokens = TokenTable.parse(",".join(f"{role}:{token}" for role, token in TOKENS.items()))
    app.dependency_overrides[unit_of_work] = lambda: uow
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


def a_recommendation(case_id: uuid.UUID) -> Recommendation:
    case = CaseSubmission.model_validate(a_case())
    return evaluate(case, case_id=case_id, case_version=2, evaluated_at=datetime(2026, 11, 20, tzinfo=UTC))


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_wants_a_valid_bearer_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    for headers in ({}, {"Authorization": "Bearer nobody"}):
        response = await client.request(method, path, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_is_for_staff_not_for_the_referring_systems(
    client: httpx.AsyncClient, uow: FakeUnitOfWork, method: str, path: str
) -> None:
    response = await client.request(method, path, headers=bearer("integration"))
    assert response.status_code == 403
    assert response.json()["title"] == "Forbidden"
    assert response.json()["detail"].startswith("role integration may not do this")
    assert (uow.reads, uow.committed) == (0, 0)


@pytest.mark.parametrize("role", ["coordinator", "clinician", "ops"])
async def test_a_what_if_evaluation_stores_nothing(
    client: httpx.AsyncClient, uow: FakeUnitOfWork, role: str
) -> None:
    response = await client.post("/v1/evaluate", json=a_case(), headers=bearer(role))
    assert response.status_code == 200
    body = response.json()
    assert (body["case_id"], body["case_version"]) == (None, 0)
    assert body["therapies"]
    assert (uow.reads, uow.committed) == (0, 0)


async def test_a_what_if_evaluation_names_the_failing_fields(client: httpx.AsyncClient) -> None:
    case = a_case()
    case["pain"]["score"] = 11
    response = await client.post("/v1/evaluate", json=case, headers=bearer("clinician"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["pain.score"]
    malformed = await client.post(
        "/v1/evaluate",
        content=b"{not json",
        headers={**bearer("clinician"), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400


async def test_the_rules_are_the_ruleset_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/rules", headers=bearer("ops"))
    assert response.status_code == 200
    assert {"ruleset_version", "therapies", "thresholds"} <= set(response.json())


async def test_the_rules_publish_ruleset_2027_01_for_a_clinical_reviewer(client: httpx.AsyncClient) -> None:
    """The two therapies, their reasons and sources, the two derived facts and the four inputs of 2027.01,
    as JSON a reviewer reads without code."""
    document = (await client.get("/v1/rules", headers=bearer("clinician"))).json()
    assert document["ruleset_version"] == "2027.01"
    therapies = {t["code"]: t for t in document["therapies"]}
    assert list(therapies) == [code.value for code in TherapyCode]
    for code, owner in (
        ("stereotactic_body_radiotherapy", "radiation_oncology"),
        ("vertebral_augmentation", "radiology"),
    ):
        assert (therapies[code]["owner"], therapies[code]["strongest_verdict"]) == (owner, "consider")
        for item in (*therapies[code]["indication"], *therapies[code]["absolute_contraindications"]):
            assert item["text"] and set(item["source"].split(", ")) <= set(document["sources"])
    assert {"OMD", "SC24", "NICEVA", "NASS", "MRONJ"} <= set(document["sources"])
    assert "dental examination before treatment" in document["sources"]["LABEL"]
    assert [f["fact"] for f in document["derived_facts"]][1:] == [
        "radioresistant primary (2027.01)",
        "oligometastatic (2027.01)",
    ]
    assert {i["field"] for i in document["inputs_added"]} == {
        "status.metastasis_count",
        "history.dental_assessment",
        "lesions[].posterior_wall",
        "labs.inr",
    }
    dental = [r["code"] for r in therapies["osteoclast_inhibitor"]["when_recommended_or_consider"]]
    assert dental[:4] == [
        "dental_review_ongoing",
        "dental_assessment_done",
        "dental_assessment_before_start",
        "dental_assessment_unrecorded",
    ]


async def test_a_what_if_evaluation_answers_ruleset_2027_01(client: httpx.AsyncClient) -> None:
    """A renal primary with a painful spine lesion, oligometastatic, and the four new inputs: both new therapies
    answered in the table's order with their reasons; a 422 names a count below the lesions listed."""
    case = a_case()
    case["primary_tumour"] = {"site": "kidney"}
    case["status"]["metastasis_count"] = 2
    case["history"]["dental_assessment"] = "not_done"
    case["labs"]["inr"] = 1.8
    case["lesions"][0]["posterior_wall"] = "involved"
    response = await client.post("/v1/evaluate", json=case, headers=bearer("clinician"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ruleset_version"] == "2027.01"
    assert [t["code"] for t in body["therapies"]] == [code.value for code in TherapyCode]
    verdicts = {t["code"]: t for t in body["therapies"]}
    sbrt, augmentation = verdicts["stereotactic_body_radiotherapy"], verdicts["vertebral_augmentation"]
    assert sbrt["status"] == "consider"
    assert [r["code"] for r in sbrt["reasons"]] == [
        "sbrt_oligometastatic",
        "sbrt_radioresistant",
        "sbrt_stability_review",
        "sbrt_conditional",
    ]
    assert augmentation["status"] == "consider"  # the T8 lesion: painful, collapse below 50 %, SINS 9
    assert [r["code"] for r in augmentation["reasons"]] == [
        "augmentation_indicated",
        "augmentation_surgical_agreement",
        "augmentation_posterior_wall",
        "augmentation_epidural_extension",
        "augmentation_coagulation",
        "augmentation_team_agreement",
        "augmentation_not_antitumour",
    ]
    assert [r["code"] for r in verdicts["osteoclast_inhibitor"]["reasons"]][-2:] == [
        "dental_assessment_before_start",
        "calcium_vitamin_d_supplement",
    ]
    assert verdicts["external_beam_radiotherapy"]["reasons"][-1]["code"] == "sbrt_alternative"
    assert "surgery" in body["required_specialties"]
    assert body["discussion_reasons"][2:4] == [
        "stereotactic_body_radiotherapy_consider",
        "vertebral_augmentation_consider",
    ]

    case["status"]["metastasis_count"] = 1
    refused = await client.post("/v1/evaluate", json=case, headers=bearer("clinician"))
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["status.metastasis_count"]


async def test_the_latest_recommendation_of_a_case(
    client: httpx.AsyncClient, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = uuid.uuid4()
    asked: list[tuple[Any, uuid.UUID]] = []

    async def latest(given: Any, wanted: uuid.UUID) -> Recommendation:
        asked.append((given, wanted))
        return a_recommendation(wanted)

    monkeypatch.setattr(service, "latest_recommendation", latest)
    response = await client.get(f"/v1/recommendations/{case_id}", headers=bearer("coordinator"))
    assert response.status_code == 200
    assert (response.json()["case_id"], response.json()["case_version"]) == (str(case_id), 2)
    assert asked == [(uow, case_id)]


async def test_a_case_without_a_recommendation_is_not_found(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def none(_: Any, __: uuid.UUID) -> Recommendation:
        raise RecommendationNotFoundError()

    monkeypatch.setattr(service, "latest_recommendation", none)
    response = await client.get(f"/v1/recommendations/{uuid.uuid4()}", headers=bearer("clinician"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["title"], response.json()["detail"]) == (
        "Not found",
        "no recommendation for this case",
    )
    not_a_uuid = await client.get("/v1/recommendations/case-7", headers=bearer("clinician"))
    assert not_a_uuid.status_code == 422
    assert [e["field"] for e in not_a_uuid.json()["errors"]] == ["path.case_id"]


async def test_the_concordance_report_passes_its_filters_and_names_them_by_their_query_names(
    client: httpx.AsyncClient, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[Any, ...]] = []
    entry = TherapyConcordance(
        TherapyCode.osteoclast_inhibitor,
        counts={Verdict.recommended: {Decision.accepted: 3, Decision.declined: 1}},
        recommended_accepted_share=0.75,
        commonest_decline_reasons=[("patient_choice", 1)],
    )

    async def report(*args: Any) -> tuple[int, list[TherapyConcordance]]:
        asked.append(args)
        return 4, [entry]

    monkeypatch.setattr(outcomes, "concordance_report", report)
    response = await client.get(
        "/v1/concordance",
        params={"ruleset_version": "2026.12", "from": "2026-11-01", "to": "2026-11-30"},
        headers=bearer("ops"),
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["ruleset_version"], body["from"], body["to"], body["cases"]) == (
        "2026.12",
        "2026-11-01",
        "2026-11-30",
        4,
    )
    [therapy] = body["therapies"]
    assert therapy["counts"] == {"recommended": {"accepted": 3, "declined": 1}}
    assert therapy["commonest_decline_reasons"] == [{"reason_code": "patient_choice", "count": 1}]
    assert asked == [(uow, "2026.12", date(2026, 11, 1), date(2026, 11, 30))]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"ruleset_version": "not a version!"}, "query.ruleset_version"),
        ({"ruleset_version": "x" * 33}, "query.ruleset_version"),
        ({"from": "yesterday"}, "query.from"),
        ({"to": "2026-13-01"}, "query.to"),
    ],
)
async def test_a_bad_concordance_filter_is_refused_with_its_name(
    client: httpx.AsyncClient, uow: FakeUnitOfWork, params: dict[str, str], field: str
) -> None:
    response = await client.get("/v1/concordance", params=params, headers=bearer("clinician"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert (uow.reads, uow.committed) == (0, 0)


async def test_a_period_that_ends_before_it_starts_is_refused_before_any_read(
    client: httpx.AsyncClient, uow: FakeUnitOfWork
) -> None:
    response = await client.get(
        "/v1/concordance", params={"from": "2026-11-30", "to": "2026-11-01"}, headers=bearer("clinician")
    )
    assert response.status_code == 422
    assert response.json() == {
        "type": "about:blank",
        "title": "Invalid request",
        "status": 422,
        "detail": "1 field(s) failed validation",
        "errors": [{"field": "from", "reason": "must not be after to"}],
    }
    assert (uow.reads, uow.committed) == (0, 0)
