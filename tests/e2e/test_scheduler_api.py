"""The scheduler as a process of its own (own database, own topic prefix) against the real Kafka and
PostgreSQL: the coordinators' API of contracts.md §5 (404, 409 with a reason, 422 for bad ranges, the
audit log, weekly availability), the booking lifecycle seen on the mdt-bookings topic, and schemathesis
over its OpenAPI document (no 5xx, nothing outside the schema)."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from hypothesis import strategies as st

from shared.contracts.codes import Specialty, Urgency
from tests.integration.scheduler.support import PANEL, next_hour, recommendation, withdrawal
from tests.support.clinic import staff_every_specialty, team_with_meetings
from tests.support.database import run_database
from tests.support.infrastructure import Infrastructure
from tests.support.openapi_stateful import StatefulRun, run_stateful
from tests.support.services import TEST_TOKENS, Pipeline, auth

pytestmark = pytest.mark.e2e
COORDINATOR = auth("coordinator")


class Scheduler:
    def __init__(self, pipeline: Pipeline, kafka: str, prefix: str) -> None:
        self.url = pipeline.services["scheduler"].url
        self.kafka = kafka
        self.prefix = prefix
        self.http = httpx.Client(base_url=self.url, headers=COORDINATOR, timeout=30)

    def clinician(self, specialty: Specialty, windows: list[tuple[datetime, datetime]] = ()) -> int:  # type: ignore[assignment]
        created = self.http.post(
            "/v1/clinicians", json={"name": f"Dr {specialty.value}", "specialty": specialty}
        )
        assert created.status_code == 201, created.text
        clinician_id = int(created.json()["id"])
        for start, end in windows:
            self.window(clinician_id, start, end)
        return clinician_id

    def window(self, clinician_id: int, start: datetime, end: datetime) -> int:
        response = self.http.post(
            f"/v1/clinicians/{clinician_id}/availability",
            json={"start": start.isoformat(), "end": end.isoformat()},
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def publish(self, *envelopes: Any) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.kafka)
        await producer.start()
        try:
            for envelope in envelopes:
                topic = (
                    "therapy-recommendations"
                    if envelope.event_type == "recommendation.issued"
                    else "case-events"
                )
                await producer.send_and_wait(
                    self.prefix + topic,
                    envelope.model_dump_json().encode(),
                    key=str(envelope.case_id).encode(),
                    headers=[("event_type", envelope.event_type.encode())],
                )
        finally:
            await producer.stop()

    async def booking_events(self, case_id: uuid.UUID, count: int, wait: float = 30) -> list[dict[str, Any]]:
        """The case's mdt-bookings events as published, once `count` of them are there."""
        consumer = AIOKafkaConsumer(
            self.prefix + "mdt-bookings",
            bootstrap_servers=self.kafka,
            auto_offset_reset="earliest",
            group_id=None,
        )
        await consumer.start()
        found: list[dict[str, Any]] = []
        try:
            async with asyncio.timeout(wait):
                while len(found) < count:
                    for records in (await consumer.getmany(timeout_ms=500)).values():
                        found += [json.loads(r.value) for r in records if r.key == str(case_id).encode()]
        finally:
            await consumer.stop()
        return found


@contextmanager
def only_scheduler(database_url: str, kafka: str, prefix: str, log_dir: Path) -> Iterator[Pipeline]:
    """The scheduler alone, configured as running_pipeline configures it."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_PREFIX": prefix,
        "API_TOKENS": ",".join(f"{role}:{token}" for role, token in TEST_TOKENS.items()),
        "ENVIRONMENT": "test",
        "OUTBOX_POLL_SECONDS": "0.1",
        "DATABASE_POOL_SIZE": "5",
    }
    pipeline = Pipeline(env=env, log_dir=log_dir)
    try:
        pipeline.start("scheduler")
        yield pipeline
    finally:
        pipeline.stop_all()


@pytest.fixture(scope="module")
def scheduler(
    infrastructure: Infrastructure, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scheduler]:
    """Its own database and topic prefix: these tests count clinicians and slots."""
    prefix = f"test-{run_id}-scheduler-api."
    log_dir: Path = tmp_path_factory.mktemp("scheduler-api-logs")
    kafka = infrastructure.kafka_bootstrap_servers
    with (
        run_database(infrastructure.admin_database_url, f"bonemets_test_{run_id}_scheduler_api") as url,
        only_scheduler(url, kafka, prefix, log_dir) as pipeline,
    ):
        scheduler = Scheduler(pipeline, kafka, prefix)
        yield scheduler
        scheduler.http.close()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert body["status"] == status and body["detail"]
    return body


# ---------------------------------------------------------------------------------------------------------
# 404, 409, 422


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/clinicians/999999"),
        ("GET", "/v1/clinicians/-3"),
        ("GET", "/v1/clinicians/99999999999999"),
        ("PATCH", "/v1/clinicians/999999"),
        ("GET", "/v1/clinicians/999999/availability"),
        ("DELETE", "/v1/clinicians/999999/availability/1"),
        ("GET", f"/v1/bookings/{uuid.uuid4()}"),
        ("POST", f"/v1/bookings/{uuid.uuid4()}/cancel"),
        ("POST", f"/v1/bookings/{uuid.uuid4()}/reschedule"),
    ],
)
def test_unknown_ids_are_404(scheduler: Scheduler, method: str, path: str) -> None:
    body: dict[str, Any] | None = None
    if method == "PATCH":
        body = {"active": False}
    elif path.endswith("/reschedule"):
        body = {"start": next_hour(3).isoformat()}
    problem(scheduler.http.request(method, path, json=body), 404)


def test_a_window_of_another_clinician_is_404(scheduler: Scheduler) -> None:
    start = next_hour(24 * 30)
    owner = scheduler.clinician(Specialty.physiatry)
    other = scheduler.clinician(Specialty.physiatry)
    window_id = scheduler.window(owner, start, start + timedelta(hours=1))
    problem(scheduler.http.delete(f"/v1/clinicians/{other}/availability/{window_id}"), 404)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2031-01-06T10:00:00+00:00", "2031-01-06T09:00:00+00:00", "end"),  # end before start
        ("2031-01-06T10:00:00+00:00", "2031-01-06T10:00:00+00:00", "end"),  # empty
        ("2031-01-06T10:00:00+00:00", "2031-01-07T10:15:00+00:00", "end"),  # over 24 h
        ("2031-01-06T10:05:00+00:00", "2031-01-06T11:00:00+00:00", "start"),  # off the grid
        ("2031-01-06T10:00:00+00:00", "2031-01-06T11:00:30+00:00", "end"),  # seconds
        ("2031-01-06T10:00:00", "2031-01-06T11:00:00", "start"),  # naive
        ("1900-01-01T10:00:00+00:00", "1900-01-01T11:00:00+00:00", "start"),  # out of range
    ],
)
def test_bad_windows_are_422(scheduler: Scheduler, start: str, end: str, field: str) -> None:
    clinician_id = scheduler.clinician(Specialty.physiatry)
    body = problem(
        scheduler.http.post(f"/v1/clinicians/{clinician_id}/availability", json={"start": start, "end": end}),
        422,
    )
    assert field in {error["field"] for error in body["errors"]}


@pytest.mark.parametrize(
    "params",
    [
        {"specialties": "surgery", "from": "2031-01-06T10:00:00+00:00", "to": "2031-01-06T09:00:00+00:00"},
        {"specialties": "surgery", "from": "2031-01-06T10:00:00", "to": "2031-01-07T09:00:00+00:00"},
        {"specialties": "surgery", "from": "2031-01-06T10:00:00+00:00", "to": "2031-06-06T09:00:00+00:00"},
        {"specialties": "dentistry", "from": "2031-01-06T10:00:00+00:00", "to": "2031-01-07T09:00:00+00:00"},
        {
            "specialties": "surgery",
            "from": "2031-01-06T10:00:00+00:00",
            "to": "2031-01-07T09:00:00+00:00",
            "duration_minutes": 20,
        },
    ],
)
def test_bad_slot_queries_are_422(scheduler: Scheduler, params: dict[str, Any]) -> None:
    problem(scheduler.http.get("/v1/slots", params=params), 422)


def test_overlapping_window_cancelled_booking_and_busy_clinicians_are_409_with_a_reason(
    scheduler: Scheduler,
) -> None:
    start = next_hour(24 * 40)
    clinician_id = scheduler.clinician(Specialty.physiatry, [(start, start + timedelta(hours=2))])
    overlap = scheduler.http.post(
        f"/v1/clinicians/{clinician_id}/availability",
        json={
            "start": (start + timedelta(hours=1)).isoformat(),
            "end": (start + timedelta(hours=3)).isoformat(),
        },
    )
    assert "overlaps" in problem(overlap, 409)["detail"]
    # Touching is fine.
    scheduler.window(clinician_id, start + timedelta(hours=2), start + timedelta(hours=3))


# ---------------------------------------------------------------------------------------------------------
# Lifecycle on Kafka, coordinators' moves, the audit log


async def test_booking_lifecycle_is_announced_on_mdt_bookings_and_audited(scheduler: Scheduler) -> None:
    start = next_hour(3)  # beyond the default minimum lead time
    ids = {s: scheduler.clinician(s, [(start, start + timedelta(hours=4))]) for s in PANEL}
    spare_surgeon = scheduler.clinician(Specialty.surgery)
    case_id = uuid.uuid4()
    await scheduler.publish(recommendation(case_id, urgency=Urgency.urgent))
    (confirmed,) = await scheduler.booking_events(case_id, 1)
    booking = confirmed["payload"]
    assert confirmed["event_type"] == "booking.confirmed" and booking["status"] == "confirmed"
    assert datetime.fromisoformat(booking["start"]) == start
    booking_id = booking["booking_id"]

    # The surgeon's window goes: nobody else can operate then, so the booking goes to the worklist.
    (window,) = scheduler.http.get(f"/v1/clinicians/{ids[Specialty.surgery]}/availability").json()
    deleted = scheduler.http.delete(f"/v1/clinicians/{ids[Specialty.surgery]}/availability/{window['id']}")
    assert deleted.status_code == 204
    waitlisted = (await scheduler.booking_events(case_id, 2))[1]
    assert waitlisted["event_type"] == "booking.waitlisted"
    assert waitlisted["payload"]["missing_specialties"] == ["surgery"]
    assert f"availability window {window['id']}" in waitlisted["payload"]["reason"]
    worklist = scheduler.http.get("/v1/worklist").json()
    assert booking_id in [b["booking_id"] for b in worklist]

    # New availability re-tries the worklist: the spare surgeon takes it.
    scheduler.window(spare_surgeon, start + timedelta(hours=1), start + timedelta(hours=2))
    rebooked = (await scheduler.booking_events(case_id, 3))[2]
    assert rebooked["event_type"] == "booking.confirmed"
    assert datetime.fromisoformat(rebooked["payload"]["start"]) == start + timedelta(hours=1)
    assert spare_surgeon in [p["clinician_id"] for p in rebooked["payload"]["participants"]]

    # A coordinator moves it; another slot where someone is busy or absent is a 409 with the reason.
    moved = scheduler.http.post(
        f"/v1/bookings/{booking_id}/reschedule",
        json={"start": (start + timedelta(hours=1, minutes=30)).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    assert "rescheduled by a coordinator" in moved.json()["reason"]
    busy = scheduler.http.post(
        f"/v1/bookings/{booking_id}/reschedule", json={"start": (start + timedelta(hours=3)).isoformat()}
    )
    assert "surgery" in problem(busy, 409)["detail"] or "not every" in problem(busy, 409)["detail"]
    off_grid = scheduler.http.post(
        f"/v1/bookings/{booking_id}/reschedule", json={"start": (start + timedelta(minutes=7)).isoformat()}
    )
    problem(off_grid, 422)
    rescheduled = (await scheduler.booking_events(case_id, 4))[3]
    assert rescheduled["event_type"] == "booking.rescheduled"

    # The spare surgeon is made inactive: moved again (nobody left: the worklist), never lost.
    patched = scheduler.http.patch(f"/v1/clinicians/{spare_surgeon}", json={"active": False})
    assert patched.status_code == 200 and patched.json()["active"] is False
    inactive = (await scheduler.booking_events(case_id, 5))[4]
    assert inactive["event_type"] == "booking.waitlisted"
    assert f"clinician {spare_surgeon} made inactive" in inactive["payload"]["reason"]

    # Withdrawn: cancelled; cancelling again is a 409.
    await scheduler.publish(withdrawal(case_id))
    cancelled = (await scheduler.booking_events(case_id, 6))[5]
    assert cancelled["event_type"] == "booking.cancelled" and cancelled["payload"]["status"] == "cancelled"
    assert (
        "already cancelled"
        in problem(scheduler.http.post(f"/v1/bookings/{booking_id}/cancel"), 409)["detail"]
    )
    assert (
        "cancelled"
        in problem(
            scheduler.http.post(f"/v1/bookings/{booking_id}/reschedule", json={"start": start.isoformat()}),
            409,
        )["detail"]
    )

    audit = scheduler.http.get("/v1/audit", params={"limit": 1000}).json()
    actions = {(entry["action"], entry["entity_id"]) for entry in audit}
    assert ("availability.deleted", str(ids[Specialty.surgery])) in actions
    assert ("availability.added", str(spare_surgeon)) in actions
    assert ("booking.rescheduled", booking_id) in actions
    assert ("clinician.updated", str(spare_surgeon)) in actions
    assert ("clinician.created", str(spare_surgeon)) in actions
    for entry in audit:
        assert entry["actor"] and datetime.fromisoformat(entry["at"]).tzinfo is not None
    # Readers may read the audit log, not write anything.
    assert httpx.get(f"{scheduler.url}/v1/audit", headers=auth("ops")).status_code == 200
    assert httpx.post(f"{scheduler.url}/v1/clinicians", headers=auth("ops"), json={}).status_code == 403


def test_weekly_availability_is_expanded_in_clinic_time_across_daylight_saving(scheduler: Scheduler) -> None:
    clinician_id = scheduler.clinician(Specialty.nuclear_medicine)
    body = {
        "weekday": 0,
        "start_local": "09:00",
        "end_local": "17:00",
        "from_date": "2031-03-17",
        "to_date": "2031-04-07",
    }
    created = scheduler.http.post(f"/v1/clinicians/{clinician_id}/availability/weekly", json=body)
    assert created.status_code == 201, created.text
    starts = [datetime.fromisoformat(w["start"]) for w in created.json()]
    # Europe/London: GMT until the last Sunday of March 2031 (the 30th), then BST.
    assert [(s.date(), s.astimezone(UTC).hour) for s in starts] == [
        (date(2031, 3, 17), 9),
        (date(2031, 3, 24), 9),
        (date(2031, 3, 31), 8),
        (date(2031, 4, 7), 8),
    ]
    problem(scheduler.http.post(f"/v1/clinicians/{clinician_id}/availability/weekly", json=body), 409)
    problem(
        scheduler.http.post(
            f"/v1/clinicians/{clinician_id}/availability/weekly", json={**body, "start_local": "09:10"}
        ),
        422,
    )
    problem(
        scheduler.http.post(
            f"/v1/clinicians/{clinician_id}/availability/weekly", json={**body, "to_date": "2031-03-01"}
        ),
        422,
    )
    audit = scheduler.http.get("/v1/audit", params={"entity_id": str(clinician_id)}).json()
    assert "availability.weekly_added" in [entry["action"] for entry in audit]


# ---------------------------------------------------------------------------------------------------------
# schemathesis


CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_the_openapi_document_holds_no_5xx_and_nothing_outside_the_schema(scheduler: Scheduler) -> None:
    """schemathesis' own runner (its pytest loader does not run under this pytest), bounded in time."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "run",
            f"{scheduler.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {TEST_TOKENS['coordinator']}",
            "--checks",
            CHECKS,
            "--max-examples",
            "20",
            "--max-time",
            "40",
            "--request-timeout",
            "10",
            "--seed",
            "7",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_an_absence_of_a_clinician_id_beyond_the_id_range_is_404(scheduler: Scheduler) -> None:
    """Found by the stateful phase: a real meeting, a clinician id past 2**31 - 1 was a 500 (the database
    refused the integer) instead of the 404 of any other unknown clinician."""
    first = next_hour(24 * 50)
    team_with_meetings(scheduler.http, {}, first, first + timedelta(hours=1))
    (meeting,) = scheduler.http.get(
        "/v1/meetings", params={"from": first.isoformat(), "to": (first + timedelta(hours=1)).isoformat()}
    ).json()
    for method in ("PUT", "DELETE"):
        absence = f"/v1/meetings/{meeting['meeting_id']}/absences/38401749912162"
        problem(scheduler.http.request(method, absence), 404)


# ---------------------------------------------------------------------------------------------------------
# schemathesis' stateful phase over the document's links

QUARTERS_AHEAD = st.integers(
    min_value=4 * 24, max_value=4 * 24 * 300
)  # a day to ~10 months, in quarter hours


def _quarters_from_now(quarters: int) -> datetime:
    return next_hour(0) + timedelta(minutes=15 * quarters)


def _window(start_quarters: int, length_quarters: int) -> dict[str, str]:
    start = _quarters_from_now(start_quarters)
    return {"start": start.isoformat(), "end": (start + timedelta(minutes=15 * length_quarters)).isoformat()}


def _weekly(weekday: int, from_quarters: int) -> dict[str, Any]:
    first = _quarters_from_now(from_quarters).date()
    return {
        "weekday": weekday,
        "start_local": "08:00",
        "end_local": "12:30",
        "from_date": first.isoformat(),
        "to_date": (first + timedelta(days=28)).isoformat(),
    }


# Bodies the scheduler's own rules accept (on the 15-minute grid, in the future, a real time zone), drawn
# for about half the positive cases of these operations: a body that only fits the schema is mostly a 422.
REALISTIC = {
    "POST /v1/clinicians/{clinician_id}/availability": st.builds(
        _window, QUARTERS_AHEAD, st.integers(min_value=1, max_value=4 * 24)
    ),
    "POST /v1/clinicians/{clinician_id}/availability/weekly": st.builds(
        _weekly, st.integers(min_value=0, max_value=6), QUARTERS_AHEAD
    ),
    "POST /v1/teams": st.uuids().map(
        lambda u: {
            "code": f"st-{u.hex[:12]}",
            "name": "Stateful MDT",
            "timezone": "Europe/London",
            "quorum_specialties": [Specialty.radiology.value],
        }
    ),
    "POST /v1/teams/{team_id}/series": st.builds(
        lambda weekday, quarters: {
            "weekday": weekday,
            "start_local": "13:00",
            "duration_minutes": 60,
            "starts_on": _quarters_from_now(quarters).date().isoformat(),
        },
        st.integers(min_value=1, max_value=7),
        QUARTERS_AHEAD,
    ),
    "POST /v1/meetings": st.builds(
        lambda quarters: {
            "team_id": 1,
            "start": _quarters_from_now(quarters).isoformat(),
            "duration_minutes": 60,
        },
        QUARTERS_AHEAD,
    ),
}


AGENDA = "GET /v1/meetings/{meeting_id}/agenda"
BOOKING = "GET /v1/bookings/{booking_id}"
ITEM_OUTCOME = "POST /v1/meetings/{meeting_id}/items/{item_id}/outcome"
# Each group of operations gets a run of its own (operations, seconds), so that a short run follows its links
# to the end: about 50 s in all. The agenda group runs first and moves no case (no lock, reschedule, absence
# or clinician made inactive), so that the items it reaches are the ones the test listed, still listed.
STATEFUL_GROUPS: list[tuple[list[str], int]] = [
    (
        [
            "GET /v1/meetings",
            AGENDA,
            "PATCH /v1/meetings/{meeting_id}/items/{item_id}",
            ITEM_OUTCOME,
            "GET /v1/bookings",
            "GET /v1/worklist",
            BOOKING,
            "POST /v1/bookings/{booking_id}/outcome",
        ],
        15,
    ),
    (
        [
            "POST /v1/clinicians",
            "GET /v1/clinicians",
            "GET /v1/clinicians/{clinician_id}",
            "PATCH /v1/clinicians/{clinician_id}",
            "POST /v1/clinicians/{clinician_id}/availability",
            "GET /v1/clinicians/{clinician_id}/availability",
            "POST /v1/clinicians/{clinician_id}/availability/weekly",
            "DELETE /v1/clinicians/{clinician_id}/availability/{window_id}",
            "GET /v1/slots",
        ],
        12,
    ),
    (
        [
            "POST /v1/teams",
            "GET /v1/teams",
            "GET /v1/teams/{team_id}",
            "PATCH /v1/teams/{team_id}",
            "PUT /v1/teams/{team_id}/members/{clinician_id}",
            "DELETE /v1/teams/{team_id}/members/{clinician_id}",
            "POST /v1/teams/{team_id}/series",
            "GET /v1/teams/{team_id}/series",
            "PATCH /v1/series/{series_id}",
            "DELETE /v1/series/{series_id}",
            "POST /v1/meetings",
            "GET /v1/meetings",
            AGENDA,
        ],
        15,
    ),
    (
        [
            "GET /v1/meetings",
            "GET /v1/meetings/{meeting_id}",
            "POST /v1/meetings/{meeting_id}/lock",
            "POST /v1/meetings/{meeting_id}/finish",
            "POST /v1/meetings/{meeting_id}/cancel",
            "PUT /v1/meetings/{meeting_id}/absences/{clinician_id}",
            "DELETE /v1/meetings/{meeting_id}/absences/{clinician_id}",
            AGENDA,
            "POST /v1/meetings/{meeting_id}/items/{item_id}/move",
            "GET /v1/bookings",
            BOOKING,
            "POST /v1/bookings/{booking_id}/reschedule",
            "POST /v1/bookings/{booking_id}/cancel",
        ],
        10,
    ),
]


async def test_scheduler_linked_sequences_hold_to_the_document(scheduler: Scheduler) -> None:
    """schemathesis' stateful phase over the scheduler's links, with a coordinator's token: a clinician
    created, then their availability added, listed and deleted; a team created, then its meetings and
    series; a meeting's agenda read, then its items edited and their outcome posted; a booking listed,
    then read, moved and cancelled. A team with meetings and cases listed on them are made first, so that
    the agenda and booking links have something to follow."""
    staff = staff_every_specialty(scheduler.url)
    case_ids = [uuid.uuid4() for _ in range(3)]
    await scheduler.publish(*(recommendation(case_id, urgency=Urgency.routine) for case_id in case_ids))
    for case_id in case_ids:
        (listed,) = await scheduler.booking_events(case_id, 1)
        assert listed["payload"]["item_id"], listed

    # The listed cases' recommendations name no therapy: the meeting's decision needs no per-therapy decision,
    # and the whole team attends.
    outcome = {"decisions": [], "intent": "palliative", "attendees": sorted(staff)}
    realistic = {
        **REALISTIC,
        ITEM_OUTCOME: st.just(outcome),
        "POST /v1/bookings/{booking_id}/outcome": st.just(outcome),
    }
    run = StatefulRun()
    for operations, seconds in STATEFUL_GROUPS:
        run.merge(
            run_stateful(
                scheduler.url,
                COORDINATOR,
                scenarios=40,
                steps_per_scenario=6,
                max_seconds=seconds,
                realistic=realistic,
                operations=operations,
            )
        )
    print(run.summary())
    assert not run.failures and not run.errors, run.summary()
    for sources, target, statuses in [
        (["POST /v1/clinicians"], "POST /v1/clinicians/{clinician_id}/availability", (201,)),
        (
            [
                "POST /v1/clinicians/{clinician_id}/availability",
                "POST /v1/clinicians/{clinician_id}/availability/weekly",
                "GET /v1/clinicians/{clinician_id}/availability",
            ],
            "DELETE /v1/clinicians/{clinician_id}/availability/{window_id}",
            (204,),
        ),
        (["POST /v1/teams", "GET /v1/teams"], "POST /v1/meetings", (201,)),
        (["POST /v1/meetings", "GET /v1/meetings"], AGENDA, (200,)),
        ([AGENDA, BOOKING], ITEM_OUTCOME, (201,)),
        (["GET /v1/bookings"], BOOKING, (200,)),
    ]:
        found = [step for source in sources for step in run.linked(source, target, statuses)]
        assert found, f"no {sources} -> {target} in {statuses}\n{run.summary()}"
