"""POST /v1/fhir/Bundle end to end: every real Bundle of the shared corpus is a 202 or a 422 with an
OperationOutcome (never a 5xx), the documented example is booked, and errors are OperationOutcomes."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.clinic import staff_every_specialty
from tests.support.fhir_xml import as_xml
from tests.support.infrastructure import ROOT
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e

CORPUS = ROOT.parent / "shared" / "data" / "fhir"  # read in place, never copied into the repository
BUNDLES = sorted(CORPUS.glob("*.json"))
EXAMPLE = ROOT / "docs" / "fhir" / "example-bundle.json"
FHIR_JSON = "application/fhir+json"
FHIR_XML = "application/fhir+xml"
MEDIA_TYPES = [FHIR_JSON, "application/json", "application/fhir+json; charset=utf-8"]


@pytest.fixture(scope="module")
def intake(pipeline: Pipeline) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=pipeline.url("intake"), headers=auth("integration"), timeout=60) as client:
        yield client


def post_bundle(
    client: httpx.Client, body: bytes, media_type: str = FHIR_JSON, **headers: str
) -> httpx.Response:
    return client.post("/v1/fhir/Bundle", content=body, headers={"Content-Type": media_type, **headers})


def assert_outcome(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    issues: list[dict[str, Any]] = outcome["issue"]
    assert issues
    for issue in issues:
        assert issue["severity"] == "error" and issue["code"] and issue["diagnostics"]
    return issues


def test_the_corpus_is_there() -> None:
    assert len(BUNDLES) >= 9


@pytest.mark.parametrize("media_type", MEDIA_TYPES)
@pytest.mark.parametrize("path", BUNDLES, ids=lambda path: path.name)
def test_every_real_bundle_is_accepted_or_refused_with_an_operation_outcome(
    intake: httpx.Client, path: Path, media_type: str
) -> None:
    response = post_bundle(intake, path.read_bytes(), media_type)
    assert response.status_code < 500, response.text
    if response.status_code in (200, 202):
        receipt = response.json()
        assert receipt["case_version"] >= 1 and receipt["case_id"]
        return
    issues = assert_outcome(response, 422)
    assert any(issue.get("expression") for issue in issues), issues
    if not path.name.endswith("-bone-mets.json"):
        assert any("no bone-metastasis Condition" in issue["diagnostics"] for issue in issues)


def test_the_bone_metastasis_bundles_of_the_corpus_are_accepted(intake: httpx.Client) -> None:
    accepted = [path for path in BUNDLES if path.name.endswith("-bone-mets.json")]
    assert accepted
    for path in accepted:
        response = post_bundle(intake, path.read_bytes())
        assert response.status_code in (200, 202), f"{path.name}: {response.text}"


def test_the_example_bundle_is_accepted_and_booked(pipeline: Pipeline, intake: httpx.Client) -> None:
    staff_every_specialty(pipeline.url("scheduler"))
    # The file as documented (each run has a database of its own, so this is its first referral).
    first = post_bundle(intake, EXAMPLE.read_bytes())
    assert first.status_code == 202, first.text
    case_id = first.json()["case_id"]

    view = eventually(
        lambda: (
            v if (v := intake.get(f"/v1/cases/{case_id}").json())["status"] in ("booked", "listed") else None
        ),
        timeout=60,
    )
    assert view["booking"]["status"] == "confirmed"
    specialties = {p["specialty"] for p in view["booking"]["participants"]}
    # a huddle has one clinician of each; a meeting's expected attendees include at least one of each
    assert specialties >= set(view["recommendation"]["required_specialties"])

    # The integration engine resends it: same case, nothing new; as application/json too.
    again = post_bundle(intake, EXAMPLE.read_bytes(), "application/json")
    assert again.status_code == 200
    assert (again.json()["case_id"], again.json()["case_version"]) == (case_id, 1)


def test_a_bundle_with_an_idempotency_key_replays_and_refuses_another_body(intake: httpx.Client) -> None:
    bundle = json.loads(EXAMPLE.read_text())
    bundle["identifier"]["value"] = f"idempotent-{uuid.uuid4()}"
    body = json.dumps(bundle).encode()
    key = f"fhir-{uuid.uuid4()}"
    first = post_bundle(intake, body, **{"Idempotency-Key": key})
    replay = post_bundle(intake, body, **{"Idempotency-Key": key})
    assert (first.status_code, replay.status_code) == (202, 202)
    assert replay.json() == first.json()
    bundle["identifier"]["value"] += "-other"
    assert_outcome(post_bundle(intake, json.dumps(bundle).encode(), **{"Idempotency-Key": key}), 409)


def test_a_bundle_without_bone_metastases_says_so(intake: httpx.Client) -> None:
    bundle = json.loads(EXAMPLE.read_text())
    bundle["entry"] = [entry for entry in bundle["entry"] if entry["resource"]["resourceType"] == "Patient"]
    issues = assert_outcome(post_bundle(intake, json.dumps(bundle).encode()), 422)
    assert any("no bone-metastasis Condition" in issue["diagnostics"] for issue in issues)


@pytest.mark.parametrize("body", [b"[]", b'{"resourceType": "Patient"}', b"{}", b"null"])
def test_json_that_is_not_a_bundle_is_a_422_outcome(intake: httpx.Client, body: bytes) -> None:
    issues = assert_outcome(post_bundle(intake, body), 422)
    assert any("Bundle" in issue["diagnostics"] for issue in issues)


@pytest.mark.parametrize("body", [b'{"resourceType": ', b"\xff", b"<Bundle/>"])
def test_malformed_json_is_a_400_outcome(intake: httpx.Client, body: bytes) -> None:
    issues = assert_outcome(post_bundle(intake, body), 400)
    assert issues[0]["code"] == "structure"


@pytest.mark.parametrize("media_type", ["text/plain", "application/octet-stream"])
def test_a_body_that_is_neither_json_nor_xml_is_a_415_outcome(intake: httpx.Client, media_type: str) -> None:
    issues = assert_outcome(post_bundle(intake, EXAMPLE.read_bytes(), media_type), 415)
    assert issues[0]["code"] == "not-supported"


@pytest.mark.parametrize("path", BUNDLES, ids=lambda path: path.name)
def test_every_real_bundle_as_xml_answers_as_its_json_form(intake: httpx.Client, path: Path) -> None:
    xml, json_form = as_xml(json.loads(path.read_text()))
    as_json = post_bundle(intake, json.dumps(json_form).encode())
    as_xml_answer = post_bundle(intake, xml, FHIR_XML)
    assert as_json.status_code < 500, as_json.text
    if as_json.status_code in (200, 202):
        # The same case, already received from the JSON: an identical resubmission.
        assert as_xml_answer.status_code == 200, as_xml_answer.text
        assert as_xml_answer.json()["case_id"] == as_json.json()["case_id"]
        assert as_xml_answer.json()["case_version"] == as_json.json()["case_version"]
    else:
        assert as_xml_answer.status_code == as_json.status_code
        assert as_xml_answer.json() == as_json.json()


@pytest.mark.parametrize("media_type", [FHIR_XML, "application/xml", "text/xml; charset=utf-8"])
def test_malformed_xml_is_a_400_outcome(intake: httpx.Client, media_type: str) -> None:
    issues = assert_outcome(post_bundle(intake, b"<Bundle xmlns='http://hl7.org/fhir'>", media_type), 400)
    assert issues[0]["code"] == "structure"


def test_xml_that_is_not_a_bundle_is_a_422_outcome(intake: httpx.Client) -> None:
    body = b"<Patient xmlns='http://hl7.org/fhir'><gender value='male'/></Patient>"
    issues = assert_outcome(post_bundle(intake, body, FHIR_XML), 422)
    assert any("Bundle" in issue["diagnostics"] for issue in issues)


def test_authentication_errors_are_outcomes_too(pipeline: Pipeline) -> None:
    url = f"{pipeline.url('intake')}/v1/fhir/Bundle"
    body = EXAMPLE.read_bytes()
    missing = httpx.post(url, content=body, headers={"Content-Type": FHIR_JSON})
    assert assert_outcome(missing, 401)[0]["code"] == "login"
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong_role = httpx.post(url, content=body, headers={"Content-Type": FHIR_JSON, **auth("ops")})
    assert assert_outcome(wrong_role, 403)[0]["code"] == "forbidden"


def test_an_invalid_client_header_is_a_422_outcome(intake: httpx.Client) -> None:
    issues = assert_outcome(post_bundle(intake, EXAMPLE.read_bytes(), **{"X-Client-Id": "no spaces"}), 422)
    assert any("X-Client-Id" in expression for issue in issues for expression in issue.get("expression", []))


def test_a_bundle_over_its_size_limit_is_a_413(intake: httpx.Client) -> None:
    # Bundles may be far larger than native cases (MAX_FHIR_BODY_BYTES, 16 MB by default), not unbounded.
    bundle = json.loads(EXAMPLE.read_text())
    bundle["padding"] = "x" * 16_100_000
    response = post_bundle(intake, json.dumps(bundle).encode())
    assert response.status_code == 413
    assert response.json()["title"] == "Payload too large"
