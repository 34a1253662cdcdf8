"""The eligibility service around the rules engine: what is stored and published equals the what-if
evaluation; the same case version is evaluated once, however often its event is delivered."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shared.contracts.events import EventEnvelope, EventType
from tests.support.cases import a_case
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import produce, read_topic
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e

VOLATILE = ("case_id", "case_version", "evaluated_at")


def without_volatile(recommendation: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in recommendation.items() if k not in VOLATILE}


def stored_recommendation(pipeline: Pipeline, case_id: str) -> dict[str, Any] | None:
    response = httpx.get(
        f"{pipeline.url('eligibility')}/v1/recommendations/{case_id}", headers=auth("clinician")
    )
    return dict(response.json()) if response.status_code == 200 else None


async def test_published_recommendation_equals_the_what_if_evaluation(
    pipeline: Pipeline, infrastructure: Infrastructure, topic_prefix: str
) -> None:
    case = a_case()
    case["pain"]["score"] = 8
    case["labs"]["corrected_calcium_mmol_l"] = 3.2
    receipt = httpx.post(f"{pipeline.url('intake')}/v1/cases", json=case, headers=auth("integration")).json()
    stored = eventually(lambda: stored_recommendation(pipeline, receipt["case_id"]), timeout=30)
    what_if = httpx.post(
        f"{pipeline.url('eligibility')}/v1/evaluate", json=case, headers=auth("clinician")
    ).json()
    assert what_if["case_id"] is None and what_if["case_version"] == 0
    assert without_volatile(stored) == without_volatile(what_if)
    assert stored["urgency"] == "urgent"
    assert [t["code"] for t in stored["therapies"]][:3] == [
        "non_opioid_analgesic",
        "opioid_analgesic",
        "neuropathic_adjuvant",
    ]

    events = [
        json.loads(r.value)
        for r in await read_topic(
            infrastructure.kafka_bootstrap_servers, f"{topic_prefix}therapy-recommendations"
        )
        if r.key == receipt["case_id"].encode()
    ]
    assert len(events) == 1
    assert events[0]["event_type"] == "recommendation.issued"
    assert without_volatile(events[0]["payload"]) == without_volatile(what_if)


async def test_a_redelivered_case_version_is_evaluated_once(
    pipeline: Pipeline, infrastructure: Infrastructure, topic_prefix: str
) -> None:
    case = a_case()
    receipt = httpx.post(f"{pipeline.url('intake')}/v1/cases", json=case, headers=auth("integration")).json()
    eventually(lambda: stored_recommendation(pipeline, receipt["case_id"]), timeout=30)
    # The same case version again, as a new event (a replay by a confused upstream): no second recommendation.
    replay = EventEnvelope(
        event_type=EventType.case_submitted,
        case_id=uuid.UUID(receipt["case_id"]),
        case_version=1,
        payload=case,
    )
    topic = f"{topic_prefix}case-events"
    await produce(
        infrastructure.kafka_bootstrap_servers,
        topic,
        replay.model_dump_json().encode(),
        key=receipt["case_id"].encode(),
    )
    await produce(
        infrastructure.kafka_bootstrap_servers,
        topic,
        replay.model_dump_json().encode(),
        key=receipt["case_id"].encode(),
    )
    records = await read_topic(
        infrastructure.kafka_bootstrap_servers, f"{topic_prefix}therapy-recommendations", idle_seconds=3
    )
    issued = [r for r in records if r.key == receipt["case_id"].encode()]
    assert len(issued) == 1


def test_rules_are_readable_by_a_clinical_reviewer(pipeline: Pipeline) -> None:
    response = httpx.get(f"{pipeline.url('eligibility')}/v1/rules", headers=auth("clinician"))
    assert response.status_code == 200
    document = response.json()
    assert document["ruleset_version"] == "2027.01"
    text = json.dumps(document)
    for therapy in ("radiopharmaceutical", "thermal_ablation", "surgery"):
        assert therapy in text
    assert [t["code"] for t in document["therapies"]][-2:] == [
        "stereotactic_body_radiotherapy",
        "vertebral_augmentation",
    ]
    assert {"SCOR", "NHSE", "OMD", "SC24", "NICEVA", "NASS", "MRONJ"} <= set(document["sources"])
    assert "metastasis_count" in text and "dental_assessment_before_start" in text
    discussion = document["discussion"]
    assert discussion["modes"] == ["full", "standard_of_care"] and discussion["source"] == "NHSE"
    assert [c["reason_codes"][0] for c in discussion["conditions"]] == [
        "urgency_urgent",
        "alert_<code>",
        "insufficient_data",
        "surgery_<status>",
        "fracture",
        "external_beam_radiotherapy_consider",
    ]
    assert [fact["source"] for fact in document["derived_facts"]] == ["SCOR", "SC24", "OMD"]
    assert (
        httpx.get(f"{pipeline.url('eligibility')}/v1/rules", headers=auth("integration")).status_code == 403
    )


def test_unknown_case_has_no_recommendation(pipeline: Pipeline) -> None:
    response = httpx.get(
        f"{pipeline.url('eligibility')}/v1/recommendations/{uuid.uuid4()}", headers=auth("clinician")
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def older_woman_with_painful_metastases(birth_year: int) -> dict[str, Any]:
    """The issue's example: breast cancer, three painful bone metastases (and no other metastasis: oligometastatic),
    pain refractory to analgesics, pregnancy and breastfeeding not recorded (as in almost every real
    referral)."""
    case = a_case()
    case["status"]["metastasis_count"] = 3
    case["patient"] = {"pseudonym": "PSN-TEST-0076", "birth_year": birth_year, "sex": "female"}
    case["pain"]["refractory_to_analgesics"] = True
    case["lesions"] = [
        {
            "id": "R1",
            "site": "rib",
            "painful": True,
            "pathological_fracture": False,
            "prior_radiotherapy": False,
        },
        {
            "id": "P1",
            "site": "pelvis",
            "painful": True,
            "pathological_fracture": False,
            "prior_radiotherapy": False,
        },
        {
            "id": "K1",
            "site": "skull",
            "painful": True,
            "pathological_fracture": False,
            "prior_radiotherapy": False,
        },
    ]
    return case


def statuses(recommendation: dict[str, Any]) -> dict[str, str]:
    return {t["code"]: t["status"] for t in recommendation["therapies"]}


async def test_ruleset_2027_01_through_the_pipeline(
    pipeline: Pipeline, infrastructure: Infrastructure, topic_prefix: str
) -> None:
    """A 76-year-old woman, pregnancy not recorded, three bone metastases and no other, submitted to intake:
    the recommendation eligibility publishes on Kafka is evaluated with 2027.01 (radiotherapy and analgesia
    not held back for pregnancy, hemibody radiotherapy and the radiopharmaceutical not insufficient_data for
    it; stereotactic body radiotherapy consider for oligometastatic disease, EBRT naming it as the
    alternative; the dental and calcium reasons on the osteoclast inhibitor) and says how the MDT takes the
    case and why."""
    case = older_woman_with_painful_metastases(birth_year=1950)
    receipt = httpx.post(f"{pipeline.url('intake')}/v1/cases", json=case, headers=auth("integration")).json()

    async def published() -> dict[str, Any] | None:
        records = await read_topic(
            infrastructure.kafka_bootstrap_servers, f"{topic_prefix}therapy-recommendations", idle_seconds=1
        )
        mine = [json.loads(r.value) for r in records if r.key == receipt["case_id"].encode()]
        return mine[0] if mine else None

    event = None
    for _ in range(30):
        event = await published()
        if event is not None:
            break
    assert event is not None, "no recommendation published"
    payload = event["payload"]
    assert event["event_type"] == "recommendation.issued" and event["schema_version"] == 1
    assert payload["ruleset_version"] == "2027.01"
    assert [t["code"] for t in payload["therapies"]][-2:] == [
        "stereotactic_body_radiotherapy",
        "vertebral_augmentation",
    ]
    got = statuses(payload)
    for code in (
        "non_opioid_analgesic",
        "opioid_analgesic",
        "osteoclast_inhibitor",
        "external_beam_radiotherapy",
    ):
        assert got[code] == "recommended", code
    assert got["hemibody_radiotherapy"] == "consider"  # always consider when indicated, never for pregnancy
    assert got["radiopharmaceutical"] == "recommended"
    assert (got["stereotactic_body_radiotherapy"], got["vertebral_augmentation"]) == (
        "consider",
        "not_indicated",
    )
    reasons = {t["code"]: [r["code"] for r in t["reasons"]] for t in payload["therapies"]}
    assert reasons["stereotactic_body_radiotherapy"] == ["sbrt_oligometastatic", "sbrt_conditional"]
    assert reasons["external_beam_radiotherapy"][-1] == "sbrt_alternative"
    assert reasons["osteoclast_inhibitor"][-2:] == [
        "dental_assessment_unrecorded",
        "calcium_vitamin_d_supplement",
    ]
    assert payload["discussion"] == "full"
    assert payload["discussion_reasons"] == [
        "hemibody_radiotherapy_consider",
        "radiopharmaceutical_recommended",
        "stereotactic_body_radiotherapy_consider",
    ]

    stored = eventually(lambda: stored_recommendation(pipeline, receipt["case_id"]), timeout=30)
    assert (stored["discussion"], stored["discussion_reasons"]) == (
        payload["discussion"],
        payload["discussion_reasons"],
    )


def test_what_if_evaluation_by_age_and_discussion(pipeline: Pipeline) -> None:
    def what_if(case: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(
            f"{pipeline.url('eligibility')}/v1/evaluate", json=case, headers=auth("clinician")
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    aged_54 = what_if(older_woman_with_painful_metastases(birth_year=datetime.now(UTC).year - 54))
    assert statuses(aged_54)["radiopharmaceutical"] == "insufficient_data"
    radiopharmaceutical = next(t for t in aged_54["therapies"] if t["code"] == "radiopharmaceutical")
    assert radiopharmaceutical["missing"] == ["patient.breastfeeding", "patient.pregnant"]
    assert statuses(aged_54)["external_beam_radiotherapy"] == "consider"
    assert aged_54["discussion_reasons"] == [
        "insufficient_data",
        "hemibody_radiotherapy_insufficient_data",
        "radiopharmaceutical_insufficient_data",
        "stereotactic_body_radiotherapy_consider",
        "external_beam_radiotherapy_consider",
    ]
    aged_55 = what_if(older_woman_with_painful_metastases(birth_year=datetime.now(UTC).year - 55))
    assert statuses(aged_55)["radiopharmaceutical"] == "recommended"

    # a recorded pregnancy is kept (and accepted) at 76
    pregnant = older_woman_with_painful_metastases(birth_year=1950)
    pregnant["patient"]["pregnant"] = True
    answer = what_if(pregnant)
    assert statuses(answer)["radiopharmaceutical"] == "contraindicated"
    assert [a["code"] for a in answer["alerts"]] == ["pregnancy"]
    assert answer["discussion_reasons"][0] == "alert_pregnancy"

    # standard of care: a single painful rib lesion among many metastases, routine, nothing to discuss at
    # length (not oligometastatic: stereotactic body radiotherapy not indicated)
    plain = older_woman_with_painful_metastases(birth_year=1950)
    plain["status"]["metastasis_count"] = 12
    plain["lesions"] = plain["lesions"][:2]
    plain["lesions"][1]["painful"] = False
    plain["pain"]["refractory_to_analgesics"] = False
    answer = what_if(plain)
    assert (answer["discussion"], answer["discussion_reasons"]) == ("standard_of_care", [])
    assert answer["urgency"] == "routine" and answer["alerts"] == []

    # 2027.01: the metastasis count not recorded, two lesions: SBRT insufficient_data, naming the count
    del plain["status"]["metastasis_count"]
    answer = what_if(plain)
    sbrt = next(t for t in answer["therapies"] if t["code"] == "stereotactic_body_radiotherapy")
    assert (sbrt["status"], sbrt["missing"]) == ("insufficient_data", ["status.metastasis_count"])
    assert answer["discussion_reasons"] == [
        "insufficient_data",
        "stereotactic_body_radiotherapy_insufficient_data",
    ]
