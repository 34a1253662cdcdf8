"""Bookings, their cancellation and rescheduling, the worklist and the audit log over HTTP (contracts.md §5,
meetings.md §5)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.scheduler import coordination
from services.scheduler.adapters.tables import AuditRecord
from services.scheduler.coordination import ConflictError, InvalidRequestError, NotFoundError
from services.scheduler.views import WorklistKind
from shared.contracts.booking import Booking, BookingStatus
from shared.contracts.codes import Urgency
from tests.unit.scheduler_routes.conftest import ACTOR, Api, fields, problem

START = datetime(2031, 1, 6, 10, tzinfo=UTC)
BOOKING_ID = uuid.uuid4()
BOOKING = Booking(
    booking_id=BOOKING_ID,
    case_id=uuid.uuid4(),
    case_version=1,
    status=BookingStatus.confirmed,
    start=START,
    end=START + timedelta(minutes=30),
    urgency=Urgency.urgent,
    deadline=START + timedelta(days=3),
    participants=[],
    missing_specialties=[],
)


async def test_bookings_are_listed_and_read(api: Api) -> None:
    listed = api.fake(coordination, "list_bookings", [BOOKING])
    params: dict[str, str | int] = {"status": "confirmed", "from": START.isoformat(), "limit": 10}
    response = await api.client.get("/v1/bookings", params=params, headers=api.as_role("clinician"))
    assert [Booking.model_validate(b) for b in response.json()] == [BOOKING]
    assert listed[0].kwargs == {
        "status": "confirmed",
        "case_id": None,
        "from_": START,
        "to": None,
        "limit": 10,
    }
    api.fake(coordination, "find_booking", BOOKING)
    assert (await api.client.get(f"/v1/bookings/{BOOKING_ID}")).json()["booking_id"] == str(BOOKING_ID)
    api.fake(coordination, "find_booking", raises=NotFoundError(f"no booking with id {BOOKING_ID}"))
    assert problem(await api.client.get(f"/v1/bookings/{BOOKING_ID}"), 404)["title"] == "Not found"
    problem(await api.client.get("/v1/bookings/not-a-uuid"), 422)


async def test_a_booking_is_cancelled_and_the_freed_clinicians_serve_the_worklist(api: Api) -> None:
    calls = api.fake(
        coordination, "cancel_booking", BOOKING.model_copy(update={"status": BookingStatus.cancelled})
    )
    response = await api.client.post(f"/v1/bookings/{BOOKING_ID}/cancel", json={"reason": "patient moved"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert calls[0].args[:3] == (ACTOR, BOOKING_ID, "patient moved")
    assert (await api.client.post(f"/v1/bookings/{BOOKING_ID}/cancel")).status_code == 200
    assert calls[1].args[2] == "cancelled by a coordinator"  # the reason when none is given
    assert api.retried == ["worklist", "worklist"] and api.uow.committed == 2


async def test_cancelling_twice_is_409_and_a_bad_reason_422(api: Api) -> None:
    api.fake(coordination, "cancel_booking", raises=ConflictError("the booking is already cancelled"))
    body = problem(await api.client.post(f"/v1/bookings/{BOOKING_ID}/cancel"), 409)
    assert body["detail"] == "the booking is already cancelled"
    problem(await api.client.post(f"/v1/bookings/{BOOKING_ID}/cancel", json={"reason": ""}), 422)
    problem(await api.client.post(f"/v1/bookings/{BOOKING_ID}/cancel", headers=api.as_role("ops")), 403)
    assert api.retried == []


async def test_a_booking_is_rescheduled(api: Api) -> None:
    calls = api.fake(coordination, "reschedule_booking", BOOKING)
    body = {"start": "2031-01-06T10:30:00+01:00", "clinician_ids": [7, 8, 9]}
    response = await api.client.post(f"/v1/bookings/{BOOKING_ID}/reschedule", json=body)
    assert response.status_code == 200
    assert calls[0].args[2].clinician_ids == [7, 8, 9] and calls[0].args[3] is api.context.policy
    assert api.retried == ["worklist"]


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (ConflictError("a cancelled booking cannot be rescheduled"), 409),
        (InvalidRequestError("start", "must not be in the past"), 422),
        (NotFoundError(f"no booking with id {BOOKING_ID}"), 404),
    ],
)
async def test_a_reschedule_refused_by_the_rules(api: Api, refusal: Exception, status: int) -> None:
    api.fake(coordination, "reschedule_booking", raises=refusal)
    body = problem(
        await api.client.post(f"/v1/bookings/{BOOKING_ID}/reschedule", json={"start": START.isoformat()}),
        status,
    )
    assert body["detail"] == str(refusal)
    if status == 422:
        assert fields(body) == {"start": "must not be in the past"}
    assert api.retried == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2031-01-06T10:45:03.313097Z"}, "start"),  # off the grid
        ({"start": "2031-01-06T10:45:00"}, "start"),  # naive
        ({"start": "2031-01-06T10:45:00Z", "clinician_ids": []}, "clinician_ids"),
        ({"start": "2031-01-06T10:45:00Z", "clinician_ids": [0]}, "clinician_ids[0]"),
        ({"start": "2031-01-06T10:45:00Z", "clinician_ids": [2**31]}, "clinician_ids[0]"),
        ({}, "start"),
    ],
)
async def test_a_bad_reschedule_is_422_naming_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    calls = api.fake(coordination, "reschedule_booking", BOOKING)
    refused = problem(await api.client.post(f"/v1/bookings/{BOOKING_ID}/reschedule", json=body), 422)
    assert field in fields(refused)
    assert calls == []


@pytest.mark.parametrize("kind", [None, *WorklistKind])
async def test_the_worklist_by_kind(api: Api, kind: WorklistKind | None) -> None:
    calls = api.fake(coordination, "worklist", [BOOKING])
    params = {} if kind is None else {"kind": kind.value}
    response = await api.client.get("/v1/worklist", params=params, headers=api.as_role("ops"))
    assert response.status_code == 200 and len(response.json()) == 1
    assert calls[0].args == (kind,)


async def test_an_unknown_worklist_kind_is_422(api: Api) -> None:
    body = problem(await api.client.get("/v1/worklist", params={"kind": "urgent"}), 422)
    assert fields(body).keys() == {"query.kind"}
    problem(await api.client.get("/v1/worklist", headers=api.as_role(None)), 401)


async def test_the_audit_log(api: Api) -> None:
    entry = AuditRecord(
        id=1, at=START, actor=ACTOR, action="booking.cancelled", entity="booking", entity_id="b", details={}
    )
    calls = api.fake(coordination, "audit_entries", [entry])
    response = await api.client.get("/v1/audit", params={"entity": "booking", "limit": 5})
    assert response.json()[0]["action"] == "booking.cancelled"
    assert calls[0].kwargs == {"entity": "booking", "entity_id": None, "limit": 5}
    problem(await api.client.get("/v1/audit", params={"entity": "a b"}), 422)
