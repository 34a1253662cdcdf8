"""The eligibility service around the rules engine: what is stored and published equals the what-if
evaluation; the same case version is evaluated once, however often its event is delivered."""

import json
import uuid
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
    assert document["ruleset_version"] == "2026.11"
    text = json.dumps(document)
    for therapy in ("radiopharmaceutical", "thermal_ablation", "surgery"):
        assert therapy in text
    assert (
        httpx.get(f"{pipeline.url('eligibility')}/v1/rules", headers=auth("integration")).status_code == 403
    )


def test_unknown_case_has_no_recommendation(pipeline: Pipeline) -> None:
    response = httpx.get(
        f"{pipeline.url('eligibility')}/v1/recommendations/{uuid.uuid4()}", headers=auth("clinician")
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
