"""Intake's HTTP behaviour end to end: resubmissions, versions, Idempotency-Key, withdrawal, limits and
content types, against the running services, with what reached the outbox and the case-events topic."""

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from shared.contracts.case import MAX_LESIONS, CaseSubmission
from tests.support.cases import a_case
from tests.support.infrastructure import Infrastructure
from tests.support.intake import case_events, outbox_rows
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def intake(pipeline: Pipeline) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=pipeline.url("intake"), headers=auth("integration"), timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def topic(topic_prefix: str) -> str:
    return f"{topic_prefix}case-events"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def published(database_url: str, case_id: str, count: int) -> list[tuple[str, int]]:
    """The case's outbox rows as (event type, version), once `count` of them are published."""
    rows = eventually(
        lambda: (
            r
            if len(r := outbox_rows(database_url, case_id)) >= count and all(x.published for x in r)
            else None
        )
    )
    return [(row.event_type, row.case_version) for row in rows]


def test_an_identical_resubmission_is_a_200_and_publishes_nothing(
    intake: httpx.Client, database_url: str, infrastructure: Infrastructure, topic: str
) -> None:
    case = a_case()
    first = intake.post("/v1/cases", json=case)
    assert first.status_code == 202, first.text
    case_id = first.json()["case_id"]
    assert published(database_url, case_id, 1) == [("case.submitted", 1)]

    # Same content, keys in another order and reformatted: still identical.
    again = intake.post(
        "/v1/cases",
        content=json.dumps(dict(reversed(case.items())), indent=2),
        headers={"Content-Type": "application/json"},
    )
    assert again.status_code == 200, again.text
    assert (again.json()["case_id"], again.json()["case_version"]) == (case_id, 1)

    assert [(r.event_type, r.case_version) for r in outbox_rows(database_url, case_id)] == [
        ("case.submitted", 1)
    ]
    events = case_events(infrastructure.kafka_bootstrap_servers, topic, {case_id}, until=1)
    assert [(e.event_type.value, e.case_version) for e in events] == [("case.submitted", 1)]


def test_changed_content_is_the_next_version_and_a_case_updated_event(
    intake: httpx.Client, database_url: str, infrastructure: Infrastructure, topic: str
) -> None:
    case = a_case()
    first = intake.post("/v1/cases", json=case).json()
    case["pain"]["score"] = 9
    second = intake.post("/v1/cases", json=case)
    assert second.status_code == 202
    assert second.json() == {"case_id": first["case_id"], "case_version": 2, "status": "received"}
    case["lesions"] = case["lesions"][:1]
    third = intake.post("/v1/cases", json=case)
    assert third.status_code == 202 and third.json()["case_version"] == 3

    expected = [("case.submitted", 1), ("case.updated", 2), ("case.updated", 3)]
    assert published(database_url, first["case_id"], 3) == expected
    events = case_events(infrastructure.kafka_bootstrap_servers, topic, {first["case_id"]}, until=3)
    assert [(e.event_type.value, e.case_version) for e in events] == expected
    assert [lesion["id"] for lesion in events[2].payload["lesions"]] == ["L1"]
    # The event carries the submitted content unchanged, and the case's identity.
    assert events[2].payload == CaseSubmission.model_validate(case).model_dump(mode="json")
    assert {str(e.case_id) for e in events} == {first["case_id"]}
    assert len({e.event_id for e in events}) == 3

    view = intake.get(f"/v1/cases/{first['case_id']}").json()
    assert view["case_version"] == 3 and view["external_id"] == case["external_id"]


def test_the_same_case_from_another_client_is_another_case(intake: httpx.Client) -> None:
    case = a_case()
    ours = intake.post("/v1/cases", json=case)
    theirs = intake.post("/v1/cases", json=case, headers={"X-Client-Id": "other-hospital"})
    assert (ours.status_code, theirs.status_code) == (202, 202)
    assert ours.json()["case_id"] != theirs.json()["case_id"]
    assert_problem(intake.post("/v1/cases", json=a_case(), headers={"X-Client-Id": "not valid!"}), 422)


def test_an_idempotency_key_replays_the_first_answer(intake: httpx.Client, database_url: str) -> None:
    case = a_case()
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = intake.post("/v1/cases", json=case, headers=key)
    assert first.status_code == 202
    replay = intake.post("/v1/cases", json=case, headers=key)
    # Without the key this would be a 200 (identical resubmission); with it, the first answer exactly.
    assert (replay.status_code, replay.json()) == (202, first.json())

    # The case moves on (version 2, sent without a key); the key still replays the answer it was given.
    changed = {**case, "visceral_metastases": True}
    assert intake.post("/v1/cases", json=changed).json()["case_version"] == 2
    late = intake.post("/v1/cases", json=case, headers=key)
    assert (late.status_code, late.json()) == (202, first.json())
    assert [r.event_type for r in outbox_rows(database_url, first.json()["case_id"])] == [
        "case.submitted",
        "case.updated",
    ]

    # Another client's identical key is another key.
    other = intake.post("/v1/cases", json=case, headers={**key, "X-Client-Id": "other-hospital"})
    assert other.status_code == 202 and other.json()["case_id"] != first.json()["case_id"]


def test_an_idempotency_key_reused_for_another_body_is_a_409(intake: httpx.Client, database_url: str) -> None:
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = intake.post("/v1/cases", json=a_case(), headers=key)
    assert first.status_code == 202
    other_case = a_case()
    assert (
        "Idempotency-Key"
        in assert_problem(intake.post("/v1/cases", json=other_case, headers=key), 409)["detail"]
    )
    # Nothing of the refused request was kept.
    assert intake.post("/v1/cases", json=other_case).status_code == 202


def test_concurrent_retries_with_one_key_make_one_case_and_one_event(
    pipeline: Pipeline, database_url: str
) -> None:
    case = a_case()
    headers = {**auth("integration"), "Idempotency-Key": f"key-{uuid.uuid4()}"}

    def post(_: int) -> httpx.Response:
        return httpx.post(f"{pipeline.url('intake')}/v1/cases", json=case, headers=headers, timeout=30)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(post, range(8)))
    assert {r.status_code for r in responses} == {202}
    assert len({r.text for r in responses}) == 1
    case_id = responses[0].json()["case_id"]
    assert [r.event_type for r in outbox_rows(database_url, case_id)] == ["case.submitted"]


def test_withdrawal_is_a_202_then_a_200(
    intake: httpx.Client, database_url: str, infrastructure: Infrastructure, topic: str
) -> None:
    case_id = intake.post("/v1/cases", json=a_case()).json()["case_id"]
    withdrawn = intake.delete(f"/v1/cases/{case_id}")
    assert withdrawn.status_code == 202
    assert withdrawn.json() == {"case_id": case_id, "case_version": 1, "status": "withdrawn"}
    again = intake.delete(f"/v1/cases/{case_id}")
    assert (again.status_code, again.json()) == (200, withdrawn.json())
    assert intake.get(f"/v1/cases/{case_id}").json()["status"] == "withdrawn"

    expected = [("case.submitted", 1), ("case.withdrawn", 1)]
    assert published(database_url, case_id, 2) == expected
    events = case_events(infrastructure.kafka_bootstrap_servers, topic, {case_id}, until=2)
    assert [(e.event_type.value, e.case_version) for e in events] == expected


def test_unknown_and_malformed_case_ids(intake: httpx.Client) -> None:
    unknown = uuid.uuid4()
    assert_problem(intake.get(f"/v1/cases/{unknown}"), 404)
    assert_problem(intake.delete(f"/v1/cases/{unknown}"), 404)
    assert_problem(intake.get("/v1/cases/not-a-uuid"), 422)
    assert_problem(intake.delete("/v1/cases/not-a-uuid"), 422)


def test_a_body_over_the_limit_is_a_413(intake: httpx.Client) -> None:
    case = a_case()
    case["padding"] = "x" * 1_100_000
    assert_problem(intake.post("/v1/cases", json=case), 413)

    # Streamed without a Content-Length: counted as it arrives.
    body = json.dumps(case).encode()
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    streamed = intake.post("/v1/cases", content=chunks, headers={"Content-Type": "application/json"})
    assert_problem(streamed, 413)


def test_at_most_fifty_lesions(intake: httpx.Client) -> None:
    def with_lesions(n: int) -> dict[str, Any]:
        return a_case(lesions=[{"id": f"L{i}", "site": "rib"} for i in range(1, n + 1)])

    too_many = assert_problem(intake.post("/v1/cases", json=with_lesions(MAX_LESIONS + 1)), 422)
    assert [error["field"] for error in too_many["errors"]] == ["lesions"]
    assert intake.post("/v1/cases", json=with_lesions(MAX_LESIONS)).status_code == 202


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
def test_a_body_that_is_not_json_is_a_415(intake: httpx.Client, content_type: str | None) -> None:
    request = intake.build_request("POST", "/v1/cases", content=json.dumps(a_case()).encode())
    if content_type is None:
        request.headers.pop("Content-Type", None)
    else:
        request.headers["Content-Type"] = content_type
    assert_problem(intake.send(request), 415)


def test_json_with_a_charset_is_json(intake: httpx.Client) -> None:
    response = intake.post(
        "/v1/cases",
        content=json.dumps(a_case()).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 202, response.text


def test_authentication_comes_before_the_content_type(pipeline: Pipeline) -> None:
    response = httpx.post(
        f"{pipeline.url('intake')}/v1/cases", content=b"hello", headers={"Content-Type": "text/plain"}
    )
    assert_problem(response, 401)


@pytest.mark.parametrize("body", [b'{"external_id": ', b"{'a': 1}", b"\xff\xfe", b"[1, 2"])
def test_malformed_json_is_a_400(intake: httpx.Client, body: bytes) -> None:
    response = intake.post("/v1/cases", content=body, headers={"Content-Type": "application/json"})
    assert assert_problem(response, 400)["title"] == "Malformed JSON"


@pytest.mark.parametrize("body", [b"[]", b'"a case"', b"null", b"42"])
def test_json_that_is_not_an_object_is_a_422(intake: httpx.Client, body: bytes) -> None:
    response = intake.post("/v1/cases", content=body, headers={"Content-Type": "application/json"})
    assert_problem(response, 422)


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"external_id": "nul-\u0000-in-id"}, 422),
        ({"patient": {"pseudonym": "PSN\u0000", "sex": "female"}}, 422),
        ({"referred_at": "0001-01-01T00:30:00+01:00"}, 422),  # before the first representable instant
        ({"referred_at": "0001-01-01T00:00:00-01:00"}, 202),
    ],
    ids=["nul-external-id", "nul-pseudonym", "year-1-east", "year-1-west"],
)
def test_odd_but_well_formed_input_is_never_a_500(
    intake: httpx.Client, overrides: dict[str, Any], status: int
) -> None:
    response = intake.post("/v1/cases", json=a_case(**overrides))
    assert response.status_code == status, response.text


def test_infinity_is_not_a_lab_value(intake: httpx.Client) -> None:
    body = json.dumps(a_case()).replace('"platelets_10e9_l": 250', '"platelets_10e9_l": Infinity')
    response = intake.post("/v1/cases", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422), response.text
