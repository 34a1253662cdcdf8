"""Clinicians, their availability and the slot search over HTTP (contracts.md §5): answers, refusals, and
the constraints the OpenAPI document declares being the ones the API enforces."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.scheduler import coordination, service
from services.scheduler.adapters.tables import AvailabilityWindowRecord, ClinicianRecord
from services.scheduler.coordination import ClinicianChange, ConflictError, InvalidRequestError, NotFoundError
from tests.unit.scheduler_routes.conftest import ACTOR, Api, fields, problem

START = datetime(2031, 1, 6, 10, tzinfo=UTC)
SURGEON = ClinicianRecord(id=7, name="Dr Cut", specialty="surgery", active=True)
TEMPLATE = {
    "weekday": 0,
    "start_local": "09:00",
    "end_local": "17:00",
    "from_date": "2031-03-17",
    "to_date": "2031-04-07",
}
WINDOW = AvailabilityWindowRecord(id=3, clinician_id=7, start=START, end=START + timedelta(hours=2))


async def test_clinicians_are_made_listed_and_read(api: Api) -> None:
    made = api.fake(coordination, "create_clinician", SURGEON)
    response = await api.client.post("/v1/clinicians", json={"name": "Dr Cut", "specialty": "surgery"})
    assert response.status_code == 201
    assert response.json() == {"id": 7, "name": "Dr Cut", "specialty": "surgery", "active": True}
    assert made[0].args[0] == ACTOR
    listed = api.fake(coordination, "list_clinicians", [SURGEON])
    response = await api.client.get("/v1/clinicians", params={"specialty": "surgery", "active": "true"})
    assert [c["id"] for c in response.json()] == [7] and listed[0].args == ("surgery", True)
    api.fake(coordination, "find_clinician", SURGEON)
    assert (await api.client.get("/v1/clinicians/7", headers=api.as_role("ops"))).json()["name"] == "Dr Cut"
    api.fake(coordination, "find_clinician", raises=NotFoundError("no clinician with id 8"))
    assert problem(await api.client.get("/v1/clinicians/8"), 404)["detail"] == "no clinician with id 8"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "specialty": "surgery"}, "name"),
        ({"name": "Dr\x00", "specialty": "surgery"}, "name"),
        ({"name": "Dr Who", "specialty": "dentistry"}, "specialty"),
        ({"name": "Dr Who", "specialty": "surgery", "rank": 1}, "rank"),
    ],
)
async def test_a_bad_clinician_is_422_naming_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    calls = api.fake(coordination, "create_clinician", SURGEON)
    assert field in fields(problem(await api.client.post("/v1/clinicians", json=body), 422))
    assert calls == []


async def test_a_clinician_made_active_again_retries_the_worklist(api: Api) -> None:
    api.fake(coordination, "update_clinician", ClinicianChange(SURGEON, {}, availability_grew=True))
    response = await api.client.patch("/v1/clinicians/7", json={"active": True})
    assert response.status_code == 200 and api.retried == ["worklist"]
    calls = api.fake(coordination, "update_clinician", ClinicianChange(SURGEON, {}, availability_grew=False))
    assert (await api.client.patch("/v1/clinicians/7", json={"name": "Dr Saw"})).status_code == 200
    assert calls[0].args[1] == 7 and calls[0].args[3] is api.context.policy
    assert api.retried == ["worklist"]
    api.fake(coordination, "update_clinician", raises=NotFoundError("no clinician with id 9"))
    problem(await api.client.patch("/v1/clinicians/9", json={"active": False}), 404)
    problem(
        await api.client.patch("/v1/clinicians/7", json={"active": False}, headers=api.as_role("clinician")),
        403,
    )


async def test_availability_is_added_listed_and_withdrawn(api: Api) -> None:
    added = api.fake(coordination, "add_window", WINDOW)
    body = {"start": START.isoformat(), "end": (START + timedelta(hours=2)).isoformat()}
    response = await api.client.post("/v1/clinicians/7/availability", json=body)
    assert response.status_code == 201 and response.json()["id"] == 3
    assert added[0].args[1] == 7 and api.retried == ["worklist"]
    weekly = api.fake(coordination, "add_weekly_windows", [WINDOW])
    response = await api.client.post("/v1/clinicians/7/availability/weekly", json=TEMPLATE)
    assert response.status_code == 201 and weekly[0].args[3] == api.context.clinic_timezone
    api.fake(coordination, "list_windows", [WINDOW])
    assert [w["id"] for w in (await api.client.get("/v1/clinicians/7/availability")).json()] == [3]
    deleted = api.fake(coordination, "delete_window", {})
    assert (await api.client.delete("/v1/clinicians/7/availability/3")).status_code == 204
    assert deleted[0].args[1:3] == (7, 3)
    assert api.retried == ["worklist", "worklist"] and api.uow.committed == 4


async def test_availability_refusals(api: Api) -> None:
    body = {"start": START.isoformat(), "end": (START + timedelta(hours=2)).isoformat()}
    overlap = "the window overlaps availability window 3 of clinician 7"
    api.fake(coordination, "add_window", raises=ConflictError(overlap))
    assert (
        problem(await api.client.post("/v1/clinicians/7/availability", json=body), 409)["detail"] == overlap
    )
    api.fake(coordination, "list_windows", raises=NotFoundError("no clinician with id 8"))
    problem(await api.client.get("/v1/clinicians/8/availability"), 404)
    api.fake(coordination, "delete_window", raises=NotFoundError("clinician 7 has no availability window 4"))
    problem(await api.client.delete("/v1/clinicians/7/availability/4"), 404)
    assert api.retried == [] and api.uow.rolled_back == 3


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2031-01-06T10:00:00+00:00", "2031-01-06T09:00:00+00:00", "end"),  # before start
        ("2031-01-06T10:00:00+00:00", "2031-01-06T10:00:00+00:00", "end"),  # empty
        ("2031-01-06T10:00:00+00:00", "2031-01-07T10:15:00+00:00", "end"),  # over 24 h
        ("2031-01-06T10:05:00+00:00", "2031-01-06T11:00:00+00:00", "start"),  # off the grid
        ("2031-01-06T10:00:00+05:52", "2031-01-06T11:00:00+05:52", "start"),  # an offset off the grid
        ("2031-01-06T10:00:00", "2031-01-06T11:00:00", "start"),  # naive
        ("2231-01-06T10:00:00+00:00", "2231-01-06T11:00:00+00:00", "start"),  # out of range
    ],
)
async def test_a_bad_window_is_422_naming_the_field(api: Api, start: str, end: str, field: str) -> None:
    calls = api.fake(coordination, "add_window", WINDOW)
    body = problem(
        await api.client.post("/v1/clinicians/7/availability", json={"start": start, "end": end}), 422
    )
    assert field in fields(body)
    assert calls == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start_local": "09:10"}, "start_local"),
        ({"start_local": "09:00:00Z"}, "start_local"),  # an offset: local times have none
        ({"end_local": "09:00"}, "end_local"),  # equal to the start
        ({"to_date": "2031-03-01"}, "to_date"),  # before from_date
        ({"to_date": "2032-04-07"}, "to_date"),  # over 366 days
        ({"from_date": "1999-12-31"}, "from_date"),
    ],
)
async def test_a_bad_weekly_template_is_422_naming_the_field(
    api: Api, change: dict[str, str], field: str
) -> None:
    calls = api.fake(coordination, "add_weekly_windows", [])
    body = problem(
        await api.client.post("/v1/clinicians/7/availability/weekly", json={**TEMPLATE, **change}), 422
    )
    assert field in fields(body)
    assert calls == []


async def test_slots_are_searched_for_the_listed_specialties(api: Api) -> None:
    calls = api.fake(service, "search_slots", [START])
    params: dict[str, str | int] = {
        "specialties": "surgery, radiology,surgery",
        "from": START.isoformat(),
        "to": (START + timedelta(days=1)).isoformat(),
        "duration_minutes": 45,
    }
    response = await api.client.get("/v1/slots", params=params)
    assert response.status_code == 200 and [datetime.fromisoformat(s) for s in response.json()] == [START]
    [call] = calls
    assert call.args == (["radiology", "surgery"],)
    assert call.kwargs["duration"] == timedelta(minutes=45) and call.kwargs["limit"] == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"specialties": "dentistry"}, "query.specialties"),
        ({"specialties": "0"}, "query.specialties"),
        ({"specialties": "surgery,,radiology"}, "query.specialties"),
        ({"from": "2031-01-06T10:00:00"}, "query.from"),
        ({"duration_minutes": 20}, "query.duration_minutes"),
        ({"limit": 0}, "query.limit"),
    ],
)
async def test_a_bad_slot_query_is_422_naming_the_parameter(
    api: Api, params: dict[str, Any], field: str
) -> None:
    calls = api.fake(service, "search_slots", [])
    query = {
        "specialties": "surgery",
        "from": START.isoformat(),
        "to": (START + timedelta(days=1)).isoformat(),
    }
    body = problem(await api.client.get("/v1/slots", params={**query, **params}), 422)
    assert fields(body).keys() == {field}
    assert calls == []


async def test_a_range_the_search_refuses_is_422_naming_to(api: Api) -> None:
    api.fake(service, "search_slots", raises=InvalidRequestError("to", "the range may span 90 days at most"))
    query = {
        "specialties": "surgery",
        "from": START.isoformat(),
        "to": (START + timedelta(days=91)).isoformat(),
    }
    body = problem(await api.client.get("/v1/slots", params=query), 422)
    assert fields(body) == {"to": "the range may span 90 days at most"}
