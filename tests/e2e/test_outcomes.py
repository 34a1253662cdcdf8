"""meetings.md §6 end to end (real Kafka, PostgreSQL and the three services): an MDT records its outcome for an
agenda item or a huddle; the scheduler validates and stores it, the item becomes `discussed`, and
`outcome.recorded` carries the recording request's trace to intake (status `discussed`) and eligibility
(concordance). A ready case stays on a locked agenda, a case not ready is deferred, and the deferred item, a
withdrawn case and a bad outcome are refused with nothing stored."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.eligibility.domain import RULESET_VERSION
from tests.support.cases import a_case
from tests.support.clinic import staff_every_specialty
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import produce, read_topic
from tests.support.metrics import scraped
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e

READY = {"imaging_reviewed": True, "histology_confirmed": True, "spine_mri_done": True}
TRACE_ID = uuid.uuid4().hex
MARKER = f"NOTE-MARKER-{uuid.uuid4().hex}"


def placement(scheduler: httpx.Client, case_id: str) -> dict[str, Any] | None:
    found = scheduler.get("/v1/bookings", params={"case_id": case_id}).json()
    open_ = [b for b in found if b["status"] in ("confirmed", "waitlisted")]
    return open_[0] if open_ else None


def listed_on(scheduler: httpx.Client, case_id: str, meeting_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        found = placement(scheduler, case_id)
        return found if found is not None and found.get("meeting_id") == meeting_id else None

    return eventually(probe, timeout=60)


def decisions_for(verdicts: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"therapy": therapy, "decision": "accepted", "reason_code": None, "note": None}
        for therapy, status in verdicts.items()
        if status in ("recommended", "consider")
    ]


def discussions_timed(scheduler_url: str) -> float:
    return scraped(scheduler_url, "mdt_time_to_discussion_seconds_count", urgency="urgent")


def concordance_cases(eligibility: str) -> int:
    answer = httpx.get(
        f"{eligibility}/v1/concordance", params={"ruleset_version": RULESET_VERSION}, headers=auth("ops")
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["cases"])


def test_an_mdt_records_its_outcome_and_every_reader_sees_the_latest_version(
    pipeline: Pipeline, infrastructure: Infrastructure, topic_prefix: str
) -> None:
    clinicians = staff_every_specialty(pipeline.url("scheduler"))
    coordinator = httpx.Client(base_url=pipeline.url("scheduler"), headers=auth("coordinator"), timeout=30)
    clinician = httpx.Client(base_url=pipeline.url("scheduler"), headers=auth("clinician"), timeout=30)
    intake = httpx.Client(base_url=pipeline.url("intake"), headers=auth("integration"), timeout=30)
    # A team of its own meeting before any other test's, so that this test's cases are listed there.
    team = coordinator.post(
        "/v1/teams",
        json={
            "code": f"outcomes-{uuid.uuid4().hex[:8]}",
            "name": "Outcomes test MDT",
            "timezone": "Europe/London",
            "quorum_specialties": ["radiology"],
            "listing_cutoff_hours": 0,
        },
    )
    assert team.status_code == 201, team.text
    team_id = team.json()["team_id"]
    for clinician_id in clinicians:
        assert coordinator.put(
            f"/v1/teams/{team_id}/members/{clinician_id}", json={"role": "core"}
        ).is_success
    soon = datetime.now(UTC) + timedelta(minutes=30)
    meeting = coordinator.post(
        "/v1/meetings", json={"team_id": team_id, "start": soon.isoformat(), "duration_minutes": 60}
    )
    assert meeting.status_code == 201, meeting.text
    meeting_id = meeting.json()["meeting_id"]
    concordance_before = concordance_cases(pipeline.url("eligibility"))

    ready_case = intake.post("/v1/cases", json=a_case(diagnostics=READY)).json()["case_id"]
    waiting_case = intake.post("/v1/cases", json=a_case()).json()["case_id"]
    listed = {case_id: listed_on(coordinator, case_id, meeting_id) for case_id in (ready_case, waiting_case)}

    # Lock: the case whose diagnostics are all done stays; the other is deferred and placed again.
    locked = coordinator.post(f"/v1/meetings/{meeting_id}/lock")
    assert locked.status_code == 200, locked.text
    moved = eventually(
        lambda: (
            p
            if (p := placement(coordinator, waiting_case))
            and p.get("item_id") != listed[waiting_case]["item_id"]
            else None
        ),
        timeout=30,
    )
    item_id = listed[ready_case]["item_id"]
    agenda = {i["item_id"]: i for i in coordinator.get(f"/v1/meetings/{meeting_id}/agenda").json()}
    assert agenda[item_id]["ready"] is True and agenda[item_id]["status"] == "listed"

    deferred = clinician.post(
        f"/v1/meetings/{meeting_id}/items/{listed[waiting_case]['item_id']}/outcome",
        json={"decisions": [], "intent": "palliative", "attendees": list(clinicians)},
    )
    assert deferred.status_code == 409, deferred.text
    if moved.get("item_id"):
        assert moved["item_id"] in deferred.json()["detail"]

    verdicts = agenda[item_id]["recommendation"]
    url = f"/v1/meetings/{meeting_id}/items/{item_id}/outcome"
    good: dict[str, Any] = {
        "decisions": decisions_for(verdicts),
        "intent": "palliative",
        "decision_to_treat_date": "2026-12-01",
        "attendees": list(clinicians),
        "further_investigations": ["bloods"],
    }
    missing = clinician.post(url, json={**good, "decisions": good["decisions"][1:]})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["decisions"]
    unexplained = [{**good["decisions"][0], "decision": "declined", "note": MARKER}, *good["decisions"][1:]]
    declined = clinician.post(url, json={**good, "decisions": unexplained})
    assert declined.status_code == 422
    assert declined.json()["errors"] == [
        {"field": "decisions[0].reason_code", "reason": "a declined decision needs a reason code"}
    ]
    assert MARKER not in declined.text
    strangers = clinician.post(url, json={**good, "attendees": [*clinicians, 999999]})
    assert strangers.status_code == 422 and "999999" in strangers.json()["errors"][0]["reason"]
    unknown = clinician.post(
        url, json={**good, "decisions": [{"therapy": "homeopathy", "decision": "accepted"}]}
    )
    assert unknown.status_code == 422
    assert intake.get(f"/v1/cases/{ready_case}").json()["status"] == "listed"  # nothing was stored

    clock_before = discussions_timed(pipeline.url("scheduler"))
    noted = [{**good["decisions"][0], "note": MARKER}, *good["decisions"][1:]]
    first = clinician.post(
        url,
        json={**good, "decisions": noted},
        headers={"traceparent": f"00-{TRACE_ID}-{uuid.uuid4().hex[:16]}-01"},
    )
    assert first.status_code == 201, first.text
    recorded = first.json()
    assert recorded["version"] == 1 and recorded["meeting_id"] == meeting_id
    assert recorded["ruleset_version"] == RULESET_VERSION and recorded["verdicts"] == verdicts
    assert recorded["recorded_by_role"] == "clinician"
    agenda = {i["item_id"]: i for i in coordinator.get(f"/v1/meetings/{meeting_id}/agenda").json()}
    assert agenda[item_id]["status"] == "discussed"

    view = eventually(
        lambda: v if (v := intake.get(f"/v1/cases/{ready_case}").json())["status"] == "discussed" else None,
        timeout=30,
    )
    assert view["outcome"]["version"] == 1 and view["outcome"]["intent"] == "palliative"
    eventually(
        lambda: concordance_cases(pipeline.url("eligibility")) == concordance_before + 1 or None, timeout=30
    )

    records = [
        r
        for r in asyncio.run(
            read_topic(infrastructure.kafka_bootstrap_servers, f"{topic_prefix}mdt-outcomes")
        )
        if r.key == ready_case.encode()
    ]
    assert len(records) == 1
    headers = {k: v.decode() for k, v in records[0].headers}
    assert headers["traceparent"].split("-")[1] == TRACE_ID  # the recording request's trace
    assert MARKER.encode() not in records[0].value  # notes stay in the scheduler's database
    assert all(d["note"] is None for d in json.loads(records[0].value)["payload"]["decisions"])

    second = clinician.post(url, json={**good, "intent": "supportive"})
    assert second.status_code == 201 and second.json()["version"] == 2
    eventually(
        lambda: intake.get(f"/v1/cases/{ready_case}").json()["outcome"]["intent"] == "supportive" or None,
        timeout=30,
    )
    # A redelivered event changes nothing anywhere: the inboxes know its id.
    asyncio.run(
        produce(
            infrastructure.kafka_bootstrap_servers,
            f"{topic_prefix}mdt-outcomes",
            records[0].value,
            key=records[0].key,
            headers=list(records[0].headers),
        )
    )
    assert concordance_cases(pipeline.url("eligibility")) == concordance_before + 1  # latest version only
    assert discussions_timed(pipeline.url("scheduler")) == clock_before + 1  # the first discussion only
    view = intake.get(f"/v1/cases/{ready_case}").json()
    assert view["outcome"]["version"] == 2 and view["outcome"]["intent"] == "supportive"

    # A withdrawn case takes no outcome.
    assert intake.delete(f"/v1/cases/{ready_case}").status_code in (200, 202)
    eventually(lambda: placement(coordinator, ready_case) is None or None, timeout=30)  # the scheduler knows
    refused = clinician.post(url, json=good)
    assert refused.status_code == 409, refused.text
    assert "withdrawn" in refused.json()["detail"]
    assert intake.get(f"/v1/cases/{ready_case}").json()["outcome"]["version"] == 2


def test_a_huddle_takes_its_outcome_from_its_participants(pipeline: Pipeline) -> None:
    staff_every_specialty(pipeline.url("scheduler"))
    emergency = a_case(neurology={"spinal_cord_compression": "confirmed", "neurological_deficit": True})
    with httpx.Client(base_url=pipeline.url("intake"), headers=auth("integration"), timeout=30) as intake:
        case_id = intake.post("/v1/cases", json=emergency).json()["case_id"]
    scheduler = httpx.Client(base_url=pipeline.url("scheduler"), headers=auth("clinician"), timeout=30)
    huddle = eventually(
        lambda: p if (p := placement(scheduler, case_id)) and p["status"] == "confirmed" else None, timeout=60
    )
    assert huddle["kind"] == "huddle"
    booking = scheduler.get(f"/v1/bookings/{huddle['booking_id']}").json()
    attendees = [p["clinician_id"] for p in booking["participants"]]
    recommendation = httpx.get(
        f"{pipeline.url('eligibility')}/v1/recommendations/{case_id}", headers=auth("clinician")
    ).json()
    verdicts = {t["code"]: t["status"] for t in recommendation["therapies"]}
    url = f"/v1/bookings/{huddle['booking_id']}/outcome"
    body = {"decisions": decisions_for(verdicts), "intent": "palliative", "attendees": attendees}
    recorded = scheduler.post(url, json=body)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["booking_id"] == huddle["booking_id"] and recorded.json()["meeting_id"] is None
    outsider = scheduler.post(url, json={**body, "attendees": [*attendees, 999999]})
    assert outsider.status_code == 422
    ops = httpx.post(f"{pipeline.url('scheduler')}{url}", json=body, headers=auth("ops"))
    assert ops.status_code == 403
