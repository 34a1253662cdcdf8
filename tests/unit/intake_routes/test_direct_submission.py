"""`POST /v1/cases` answers a plainly acceptable request without FastAPI's dependency solving
(services/intake/api.py, direct_submission). Whatever the request, the answer and what reaches the use case
must be those of the declared route: each request below goes to the app as it runs and to the same app
forced down the declared way (a dependency override), and both must agree byte for byte."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import Request, Response

from services.intake import api, submission
from services.intake.case_view import PipelineStatus, SubmissionReceipt
from services.intake.dependencies import intake_settings
from tests.support.cases import a_case
from tests.support.fake_unit_of_work import FakeUnitOfWork
from tests.support.services import TEST_TOKENS
from tests.unit.intake_routes.conftest import client_of, intake_app

RECEIPT = SubmissionReceipt(case_id=uuid.uuid4(), case_version=1, status=PipelineStatus.received)
TOKEN = TEST_TOKENS["integration"]
JSON_TYPE = {"Content-Type": "application/json"}
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PLAIN = {**JSON_TYPE, **AUTH}
CASE = a_case(external_id="direct-1")


def body(case: dict[str, Any] | None = None, **changes: Any) -> bytes:
    return json.dumps({**(case or CASE), **changes}).encode()


def with_lesion(**changes: Any) -> bytes:
    return body(lesions=[{**CASE["lesions"][0], **changes}, CASE["lesions"][1]])


def with_labs(raw: str) -> bytes:
    """The case with `labs.platelets_10e9_l` written as the raw JSON token `raw`."""
    return body(labs={**CASE["labs"], "platelets_10e9_l": 0}).replace(b'"platelets_10e9_l": 0', raw.encode())


REQUESTS: list[tuple[str, dict[str, str], bytes]] = [
    ("plain", PLAIN, body()),
    ("client and key", {**PLAIN, "X-Client-Id": "hospital-a", "Idempotency-Key": "k-1"}, body()),
    ("longest key", {**PLAIN, "Idempotency-Key": "k" * 255}, body()),
    ("key too long", {**PLAIN, "Idempotency-Key": "k" * 256}, body()),
    ("empty key", {**PLAIN, "Idempotency-Key": ""}, body()),
    ("longest client", {**PLAIN, "X-Client-Id": "c" * 64}, body()),
    ("client too long", {**PLAIN, "X-Client-Id": "c" * 65}, body()),
    ("client with a space", {**PLAIN, "X-Client-Id": "a b"}, body()),
    ("empty client", {**PLAIN, "X-Client-Id": ""}, body()),
    ("no token", JSON_TYPE, body()),
    ("unknown token", {**JSON_TYPE, "Authorization": "Bearer nope"}, body()),
    ("ops token", {**JSON_TYPE, "Authorization": f"Bearer {TEST_TOKENS['ops']}"}, body()),
    ("lower-case scheme", {**JSON_TYPE, "Authorization": f"bearer {TOKEN}"}, body()),
    ("spaced token", {**JSON_TYPE, "Authorization": f"Bearer  {TOKEN} "}, body()),
    ("basic scheme", {**JSON_TYPE, "Authorization": f"Basic {TOKEN}"}, body()),
    ("charset", {**AUTH, "Content-Type": "application/json; charset=utf-8"}, body()),
    ("fhir+json", {**AUTH, "Content-Type": "application/fhir+json"}, body()),
    ("text", {**AUTH, "Content-Type": "text/plain"}, body()),
    ("no content type", AUTH, body()),
    ("malformed", PLAIN, b'{"external_id": '),
    ("malformed without token", JSON_TYPE, b"{"),
    ("empty body", PLAIN, b""),
    ("array", PLAIN, b"[]"),
    ("string", PLAIN, b'"case"'),
    ("trailing data", PLAIN, body() + b" {}"),
    ("trailing whitespace", PLAIN, body() + b" \n"),
    ("byte order mark", PLAIN, b"\xef\xbb\xbf" + body()),
    ("utf-16", PLAIN, json.dumps(CASE).encode("utf-16")),
    ("unknown field", PLAIN, body(colour="blue")),
    ("missing field", PLAIN, body({k: v for k, v in CASE.items() if k != "patient"})),
    ("invalid fields", PLAIN, body(external_id="", patient={**CASE["patient"], "birth_year": "old"})),
    ("schema version true", PLAIN, body(schema_version=True)),
    ("schema version text", PLAIN, body(schema_version="1")),
    ("schema version float", PLAIN, body(schema_version=1.0)),
    ("schema version 2", PLAIN, body(schema_version=2)),
    ("birth year as text", PLAIN, body(patient={**CASE["patient"], "birth_year": "1957"})),
    ("birth year as float", PLAIN, body(patient={**CASE["patient"], "birth_year": 1957.0})),
    ("birth year fraction", PLAIN, body(patient={**CASE["patient"], "birth_year": 1957.5})),
    ("bool as text", PLAIN, body(visceral_metastases="true")),
    ("bool as number", PLAIN, body(visceral_metastases=1)),
    ("bool as yes", PLAIN, body(visceral_metastases="yes")),
    ("NaN token", PLAIN, with_labs("NaN")),
    ("Infinity token", PLAIN, with_labs("Infinity")),
    ("huge float", PLAIN, with_labs("1e400")),
    ("huge integer", PLAIN, with_labs("1" + "0" * 400)),
    ("negative zero", PLAIN, with_labs("-0.0")),
    ("exponent", PLAIN, with_labs("2.5E2")),
    (
        "duplicate key",
        PLAIN,
        body().replace(b'"external_id": "direct-1"', b'"external_id": "x", "external_id": "y"'),
    ),
    ("escaped text", PLAIN, body(external_id="caf\u00e9-\u2603")),
    ("lone surrogate", PLAIN, body().replace(b'"direct-1"', b'"direct-\\ud800"')),
    ("control character", PLAIN, body(external_id="a\u0001b")),
    ("date as timestamp", PLAIN, body(history={**CASE["history"], "last_chemotherapy_date": 1700000000})),
    ("date as text", PLAIN, body(history={**CASE["history"], "last_chemotherapy_date": "2025-01-02"})),
    (
        "date and time",
        PLAIN,
        body(history={**CASE["history"], "last_chemotherapy_date": "2025-01-02T00:00:00"}),
    ),
    ("referral without offset", PLAIN, body(referred_at="2026-11-01T09:30:00")),
    ("referral in Z", PLAIN, body(referred_at="2026-11-01T09:30:00Z")),
    ("referral as timestamp", PLAIN, body(referred_at=1700000000)),
    ("referral in the future", PLAIN, body(referred_at="2999-01-01T00:00:00Z")),
    ("enum in upper case", PLAIN, body(primary_tumour={"site": "BREAST"})),
    ("haematological", PLAIN, body(primary_tumour={"site": "myeloma"})),
    ("null lesions", PLAIN, body(lesions=None)),
    ("no lesions", PLAIN, body(lesions=[])),
    ("repeated lesion ids", PLAIN, body(lesions=[CASE["lesions"][0], CASE["lesions"][0]])),
    ("spine level off the spine", PLAIN, with_lesion(site="femur")),
    ("score as text", PLAIN, with_lesion(sins_score="12")),
    ("nested null", PLAIN, body(pain=None)),
    (
        "deep nesting",
        PLAIN,
        body(external_id="x").replace(
            b'"visceral_metastases": false', b'"visceral_metastases": ' + b"[" * 300 + b"]" * 300
        ),
    ),
]


class Submissions:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, uow: Any, **kwargs: Any) -> tuple[SubmissionReceipt, bool]:
        self.calls.append({**kwargs, "submission": kwargs["submission"].model_dump(mode="json")})
        return RECEIPT, True


@pytest.fixture
async def both(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    direct_app, declared_app = intake_app(FakeUnitOfWork()), intake_app(FakeUnitOfWork())
    settings = declared_app.state.settings
    declared_app.dependency_overrides[intake_settings] = lambda: settings  # forces the declared way
    async with client_of(direct_app) as direct, client_of(declared_app) as declared:
        yield direct, declared


def _answer(response: httpx.Response) -> tuple[int, str | None, bytes, str | None]:
    return (
        response.status_code,
        response.headers.get("content-type"),
        response.content,
        response.headers.get("www-authenticate"),
    )


@pytest.mark.parametrize(("name", "headers", "content"), REQUESTS, ids=[name for name, _, _ in REQUESTS])
async def test_every_request_is_answered_as_the_declared_route_answers_it(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    headers: dict[str, str],
    content: bytes,
) -> None:
    direct, declared = both
    answers = []
    for client in (direct, declared):
        submissions = Submissions()
        monkeypatch.setattr(submission, "submit", submissions)
        response = await client.post("/v1/cases", content=content, headers=headers)
        answers.append((_answer(response), submissions.calls))
    assert answers[0] == answers[1]


async def test_a_plain_submission_takes_the_direct_way_and_a_refused_one_the_declared_way(
    intake: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(submission, "submit", Submissions())
    taken: list[bool] = []
    direct = api.direct_submission

    async def noting(request: Request) -> Response | None:
        answer = await direct(request)
        taken.append(answer is not None)
        return answer

    monkeypatch.setattr(api, "direct_submission", noting)
    assert (await intake.post("/v1/cases", content=body(), headers=PLAIN)).status_code == 202
    invalid = await intake.post("/v1/cases", content=body(external_id=""), headers=PLAIN)
    assert invalid.status_code == 422
    assert [error["field"] for error in invalid.json()["errors"]] == ["external_id"]
    assert taken == [True, False]
