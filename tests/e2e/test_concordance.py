"""meetings.md §6, eligibility's side: outcomes on mdt-outcomes are kept once per version, and
GET /v1/concordance counts the latest version of each case's outcome (real Kafka, PostgreSQL, services)."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from shared.contracts.codes import TherapyCode
from shared.contracts.events import EventEnvelope
from shared.kafka.dead_letters import read_dead_letters
from shared.settings import ServiceSettings
from tests.support import outcomes
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import produce
from tests.support.metrics import scraped
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e

EBRT = "external_beam_radiotherapy"


def an_outcome(
    case_id: uuid.UUID, version: int, ruleset: str, decisions: list[dict[str, Any]]
) -> dict[str, Any]:
    return outcomes.an_outcome(
        case_id,
        version=version,
        ruleset=ruleset,
        verdicts={EBRT: "recommended", "surgery": "consider", "radiopharmaceutical": "not_indicated"},
        decisions=decisions,
    )


def envelope(outcome: dict[str, Any]) -> EventEnvelope:
    return outcomes.outcome_event(outcome)


def decisions(eligibility_url: str, decision: str) -> float:
    """mdt_recommendation_decisions_total for external beam radiotherapy recommended, by decision."""
    return scraped(
        eligibility_url,
        "mdt_recommendation_decisions_total",
        therapy=EBRT,
        verdict="recommended",
        decision=decision,
    )


async def test_concordance_counts_the_latest_outcome_of_each_case_once(
    pipeline: Pipeline, infrastructure: Infrastructure, topic_prefix: str
) -> None:
    bootstrap = infrastructure.kafka_bootstrap_servers
    topic = f"{topic_prefix}mdt-outcomes"
    eligibility = pipeline.url("eligibility")
    ruleset = f"test-{uuid.uuid4().hex[:8]}"  # this test's outcomes alone
    accepted_before = decisions(eligibility, "accepted")
    declined_before = decisions(eligibility, "declined")

    case_a, case_b = uuid.uuid4(), uuid.uuid4()
    a1 = an_outcome(
        case_a,
        1,
        ruleset,
        [
            {"therapy": EBRT, "decision": "declined", "reason_code": "patient_choice"},
            {"therapy": "surgery", "decision": "accepted"},
        ],
    )
    a2 = an_outcome(
        case_a,
        2,
        ruleset,
        [{"therapy": EBRT, "decision": "accepted"}, {"therapy": "surgery", "decision": "accepted"}],
    )
    b1 = an_outcome(
        case_b,
        1,
        ruleset,
        [
            {"therapy": EBRT, "decision": "accepted"},
            {"therapy": "surgery", "decision": "declined", "reason_code": "comorbidity"},
        ],
    )
    b1_event = envelope(b1)
    for event in (envelope(a1), envelope(a2), b1_event, b1_event, envelope(b1)):  # a redelivery, a republish
        await produce(bootstrap, topic, event.model_dump_json().encode(), key=str(event.case_id).encode())

    def report() -> dict[str, Any] | None:
        answer = httpx.get(
            f"{eligibility}/v1/concordance", params={"ruleset_version": ruleset}, headers=auth("clinician")
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body if body["cases"] == 2 and _therapy(body, EBRT)["counts"] else None

    body = eventually(report, timeout=30)
    ebrt, surgery = _therapy(body, EBRT), _therapy(body, "surgery")
    assert ebrt["counts"] == {"recommended": {"accepted": 2}}  # case A's first outcome was superseded
    assert ebrt["recommended_accepted_share"] == 1.0
    assert surgery["counts"] == {"consider": {"accepted": 1, "declined": 1}}
    assert surgery["consider_accepted_share"] == 0.5
    assert surgery["commonest_decline_reasons"] == [{"reason_code": "comorbidity", "count": 1}]
    assert [t["therapy"] for t in body["therapies"]] == [code.value for code in TherapyCode]
    assert body["ruleset_version"] == ruleset

    # Each outcome version counted once: a1's decline, a2 and b1 (the repeats of b1 are not counted).
    assert decisions(eligibility, "accepted") - accepted_before == 2
    assert decisions(eligibility, "declined") - declined_before == 1

    empty = httpx.get(
        f"{eligibility}/v1/concordance",
        params={"ruleset_version": ruleset, "from": "2000-01-01", "to": "2000-01-31"},
        headers=auth("ops"),
    ).json()
    assert empty["cases"] == 0


async def test_a_bad_outcome_is_dead_lettered_naming_fields_only(
    pipeline: Pipeline, infrastructure: Infrastructure, topic_prefix: str
) -> None:
    settings = ServiceSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers, kafka_topic_prefix=topic_prefix
    )
    marker = uuid.uuid4().hex
    bad = an_outcome(uuid.uuid4(), 1, "2026.12", [{"therapy": EBRT, "decision": "accepted"}])
    bad["decisions"][0]["therapy"] = (
        f"unknown-{marker}"  # past the contract's model, as a buggy producer would
    )
    await produce(
        infrastructure.kafka_bootstrap_servers,
        f"{topic_prefix}mdt-outcomes",
        envelope(bad).model_dump_json().encode(),
        headers=[("test.marker", marker.encode())],
    )

    deadline = asyncio.get_running_loop().time() + 30
    letters: list[Any] = []
    while not letters and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.5)
        letters = [
            d
            for d in await read_dead_letters(settings, "mdt-outcomes")
            if d.headers.get("test.marker") == marker and d.headers.get("dlq.consumer") == "eligibility"
        ]
    assert letters, "the bad outcome was not dead-lettered"
    assert letters[0].headers["dlq.error"] == "invalid_payload"
    assert "decisions[0].therapy" in letters[0].headers["dlq.detail"]
    assert marker not in letters[0].headers["dlq.detail"]


def _therapy(body: dict[str, Any], code: str) -> dict[str, Any]:
    return next(t for t in body["therapies"] if t["therapy"] == code)
