"""meetings.md §6, intake's side: an MDT outcome on mdt-outcomes makes the case `discussed`, the case view
shows the latest outcome (a later version supersedes, a late repeat of an older one changes nothing), and the
FHIR Bundle gains a CarePlan (real Kafka, PostgreSQL and services)."""

import asyncio
from typing import Any

import httpx
import pytest

from tests.support.cases import a_case
from tests.support.clinic import staff_every_specialty
from tests.support.infrastructure import Infrastructure
from tests.support.metrics import scraped
from tests.support.outcomes import an_outcome, outcome_event, publish
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e


def outcomes_applied(intake_url: str, topic_prefix: str) -> float:
    """Records of mdt-outcomes that intake's consumer applied (first deliveries)."""
    return scraped(
        intake_url,
        "consumer_records_total",
        consumer="intake",
        topic=f"{topic_prefix}mdt-outcomes",
        outcome="applied",
    )


def test_an_outcome_makes_the_case_discussed_and_a_later_version_supersedes_it(
    pipeline: Pipeline, infrastructure: Infrastructure, topic_prefix: str
) -> None:
    staff_every_specialty(pipeline.url("scheduler"))
    bootstrap = infrastructure.kafka_bootstrap_servers
    with httpx.Client(base_url=pipeline.url("intake"), headers=auth("integration"), timeout=30) as intake:
        posted = intake.post("/v1/cases", json=a_case())
        assert posted.status_code == 202, posted.text
        case_id = posted.json()["case_id"]

        def view_when(status: str, version: int | None = None) -> dict[str, Any] | None:
            view: dict[str, Any] = intake.get(f"/v1/cases/{case_id}").json()
            if view["status"] != status:
                return None
            if version is not None and (view["outcome"] or {}).get("version") != version:
                return None
            return view

        eventually(lambda: view_when("listed") or view_when("booked") or view_when("waitlisted"), timeout=60)

        first = an_outcome(case_id)
        asyncio.run(publish(bootstrap, topic_prefix, outcome_event(first)))
        view = eventually(lambda: view_when("discussed", 1), timeout=30)
        assert view["outcome"]["intent"] == "palliative"
        assert view["outcome"]["decision_to_treat_date"] == "2026-12-01"
        assert view["outcome"]["decisions"] == [
            {"therapy": "external_beam_radiotherapy", "decision": "accepted", "reason_code": None},
            {"therapy": "surgery", "decision": "declined", "reason_code": "comorbidity"},
        ]

        second = an_outcome(
            case_id,
            version=2,
            decisions=[
                {"therapy": "external_beam_radiotherapy", "decision": "accepted"},
                {"therapy": "surgery", "decision": "accepted"},
            ],
        )
        asyncio.run(publish(bootstrap, topic_prefix, outcome_event(second)))
        eventually(lambda: view_when("discussed", 2), timeout=30)
        # An older version arriving late (another event id: past the inbox) does not take its place back.
        applied = outcomes_applied(pipeline.url("intake"), topic_prefix)
        asyncio.run(publish(bootstrap, topic_prefix, outcome_event(first)))
        eventually(
            lambda: outcomes_applied(pipeline.url("intake"), topic_prefix) >= applied + 1 or None, timeout=30
        )
        view = intake.get(f"/v1/cases/{case_id}").json()
        assert view["outcome"]["version"] == 2
        assert [d["decision"] for d in view["outcome"]["decisions"]] == ["accepted", "accepted"]

        fhir = intake.get(f"/v1/cases/{case_id}/fhir").json()
    care_plans = [e["resource"] for e in fhir["entry"] if e["resource"]["resourceType"] == "CarePlan"]
    assert len(care_plans) == 1
    assert care_plans[0]["intent"] == "plan"
    assert len(care_plans[0]["activity"]) == 2
