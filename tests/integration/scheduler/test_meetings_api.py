"""The coordinators' meetings API in process (httpx over ASGI) on a real database (meetings.md §5): how a
coordinator runs a week, and bad input answered 4xx naming the field and the reason, changing nothing."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.scheduler import views
from services.scheduler.api import ApiContext
from services.scheduler.api.meetings import router as meetings_router
from services.scheduler.api.teams import router as teams_router
from services.scheduler.worklist import WorklistRetrier
from shared.auth import TokenTable
from shared.contracts.codes import Specialty, Urgency
from shared.db.engine import SessionFactory
from shared.db.unit_of_work import SessionUnitOfWork
from shared.http.app import create_app
from tests.integration.scheduler.support import (
    POLICY,
    add_meeting,
    add_team,
    next_hour,
    on_recommendation,
    recommendation,
    staff,
)
from tests.support.services import TEST_TOKENS, auth

pytestmark = pytest.mark.integration
QUORUM = ["radiation_oncology", "radiology", "surgery"]
PANEL = (Specialty.radiology, Specialty.radiation_oncology, Specialty.surgery, Specialty.palliative_care)


@asynccontextmanager
async def _nothing(_: FastAPI) -> AsyncIterator[None]:
    yield


@pytest.fixture
async def api(sessions: SessionFactory) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        service="scheduler", title="test", lifespan=_nothing, readiness=dict, max_body_bytes=1 << 20
    )
    app.include_router(teams_router)
    app.include_router(meetings_router)
    tokens = TokenTable.parse(",".join(f"{role}:{token}" for role, token in TEST_TOKENS.items()))
    uow = SessionUnitOfWork(sessions)
    app.state.unit_of_work = uow
    app.state.tokens = tokens
    app.state.scheduler_api = ApiContext(POLICY, WorklistRetrier(uow, POLICY), "Europe/London")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://scheduler", headers=auth("coordinator")
    ) as client:
        yield client


def fields(response: httpx.Response) -> dict[str, str]:
    return {e["field"]: e["reason"] for e in response.json().get("errors") or []}


async def team(api: httpx.AsyncClient, sessions: SessionFactory) -> tuple[int, dict[Specialty, list[int]]]:
    async with sessions() as session, session.begin():
        members = await staff(session, PANEL, 1, next_hour(-1), 24 * 30)
    created = await api.post(
        "/v1/teams",
        json={
            "code": "bone-mets",
            "name": "Bone mets",
            "timezone": "Europe/London",
            "quorum_specialties": QUORUM,
        },
    )
    assert created.status_code == 201, created.text
    team_id = created.json()["team_id"]
    for ids in members.values():
        response = await api.put(f"/v1/teams/{team_id}/members/{ids[0]}", json={"role": "core"})
        assert response.status_code == 200, response.text
    return team_id, members


async def one_off(api: httpx.AsyncClient, team_id: int, hours: float, capacity: int = 30) -> dict[str, Any]:
    created = await api.post(
        "/v1/meetings",
        json={
            "team_id": team_id,
            "start": next_hour(hours).isoformat(),
            "duration_minutes": 60,
            "capacity_minutes": capacity,
        },
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_a_coordinators_week(api: httpx.AsyncClient, sessions: SessionFactory) -> None:
    team_id, members = await team(api, sessions)
    tuesday, friday = await one_off(api, team_id, 72), await one_off(api, team_id, 100)
    assert tuesday["quorum"] == {"met": True, "lacking": []}
    assert {a["response"] for a in tuesday["attendance"]} == {"expected"}
    cases = [uuid.uuid4() for _ in range(3)]
    async with sessions() as session, session.begin():
        for n, case_id in enumerate(cases):
            await on_recommendation(
                session, recommendation(case_id, urgency=Urgency.routine, hours=336 + n), POLICY
            )
    agenda = (await api.get(f"/v1/meetings/{tuesday['meeting_id']}/agenda")).json()
    assert [(i["case_id"], i["position"]) for i in agenda] == [(str(c), n) for n, c in enumerate(cases, 1)]
    first, second, third = agenda
    # readiness for two of them, then move the third to the top
    for item in (first, third):
        response = await api.patch(
            f"/v1/meetings/{tuesday['meeting_id']}/items/{item['item_id']}",
            json={"readiness": {"imaging": True, "histology": True}},
        )
        assert response.status_code == 200 and response.json()["ready"] is True, response.text
    moved = await api.patch(
        f"/v1/meetings/{tuesday['meeting_id']}/items/{third['item_id']}", json={"position": 1}
    )
    assert moved.json()["position"] == 1
    # an absence that does not break the quorum (no cover, but only palliative care goes)
    absent = await api.put(
        f"/v1/meetings/{tuesday['meeting_id']}/absences/{members[Specialty.palliative_care][0]}"
    )
    assert absent.status_code == 200 and absent.json()["quorum"]["met"] is True
    locked = await api.post(f"/v1/meetings/{tuesday['meeting_id']}/lock")
    assert locked.status_code == 200 and locked.json()["status"] == "locked"
    agenda = (await api.get(f"/v1/meetings/{tuesday['meeting_id']}/agenda")).json()
    assert [(i["item_id"], i["position"]) for i in agenda] == [(third["item_id"], 1), (first["item_id"], 2)]
    assert agenda[1]["estimated_start"] > agenda[0]["estimated_start"]
    friday_agenda = (await api.get(f"/v1/meetings/{friday['meeting_id']}/agenda")).json()
    assert [i["case_id"] for i in friday_agenda] == [second["case_id"]]
    finished = await api.post(f"/v1/meetings/{tuesday['meeting_id']}/finish")
    assert finished.json()["status"] == "finished"
    listed = (await api.get("/v1/meetings", params={"team": team_id, "status": "finished"})).json()
    assert [m["meeting_id"] for m in listed] == [tuesday["meeting_id"]]


async def test_bad_input_names_the_field_and_changes_nothing(
    api: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    team_id, _ = await team(api, sessions)
    series = {"weekday": 2, "start_local": "08:00", "duration_minutes": 90, "starts_on": str(date.today())}
    for change, field in (
        ({"weekday": 8}, "weekday"),
        ({"start_local": "25:00"}, "start_local"),
        ({"capacity_minutes": 0}, "capacity_minutes"),
    ):
        response = await api.post(f"/v1/teams/{team_id}/series", json={**series, **change})
        assert response.status_code == 422 and field in fields(response), response.text
    bad_zone = await api.post(
        "/v1/teams", json={"code": "x", "name": "x", "timezone": "Mars/Olympus", "quorum_specialties": QUORUM}
    )
    assert bad_zone.status_code == 422 and "unknown time zone" in fields(bad_zone)["timezone"]
    not_clinician = await api.put(f"/v1/teams/{team_id}/members/999999", json={"role": "core"})
    assert not_clinician.status_code == 422 and "clinician_id" in fields(not_clinician)
    assert (await api.get(f"/v1/teams/{team_id}/series")).json() == []
    assert len((await api.get("/v1/teams")).json()) == 1

    meeting, finished = await one_off(api, team_id, 72, capacity=6), await one_off(api, team_id, 80)
    assert (await api.post(f"/v1/meetings/{finished['meeting_id']}/finish")).status_code == 200
    case_id = uuid.uuid4()
    async with sessions() as session, session.begin():
        await on_recommendation(session, recommendation(case_id, urgency=Urgency.routine), POLICY)
    [item] = (await api.get(f"/v1/meetings/{meeting['meeting_id']}/agenda")).json()
    path = f"/v1/meetings/{meeting['meeting_id']}/items/{item['item_id']}"
    into_finished = await api.post(f"{path}/move", json={"meeting_id": finished["meeting_id"]})
    assert into_finished.status_code == 409 and "finished" in into_finished.json()["detail"]
    overflow = await api.patch(path, json={"minutes": 7})
    assert overflow.status_code == 409 and "capacity" in overflow.json()["detail"]
    zero = await api.patch(path, json={"position": 0})
    assert zero.status_code == 422 and "position" in fields(zero)
    beyond = await api.patch(path, json={"position": 2})
    assert beyond.status_code == 422 and "position" in fields(beyond)
    unknown = await api.get(f"/v1/meetings/{uuid.uuid4()}")
    assert unknown.status_code == 404
    [after] = (await api.get(f"/v1/meetings/{meeting['meeting_id']}/agenda")).json()
    assert (after["minutes"], after["position"], after["meeting_id"]) == (6, 1, meeting["meeting_id"])
    assert (await api.get(f"/v1/meetings/{meeting['meeting_id']}")).json()["used_minutes"] == 6
    reader = await api.post("/v1/meetings/" + meeting["meeting_id"] + "/lock", headers=auth("clinician"))
    assert reader.status_code == 403


async def test_worklist_kinds(sessions: SessionFactory) -> None:
    async with sessions() as session, session.begin():
        members = await staff(session, PANEL, 1, next_hour(-1), 24 * 30)
        team_id = await add_team(session, members)
        await add_meeting(session, team_id, next_hour(60))
        await add_meeting(session, team_id, next_hour(24 * 20))
    waiting, late, soon = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with sessions() as session, session.begin():
        await on_recommendation(
            session,
            recommendation(waiting, urgency=Urgency.routine, specialties=[Specialty.physiatry], hours=20),
            POLICY,
        )
        await on_recommendation(session, recommendation(late, urgency=Urgency.routine, hours=40), POLICY)
        await on_recommendation(session, recommendation(soon, urgency=Urgency.routine), POLICY)
    now = datetime.now(UTC)
    async with sessions() as session:
        found = {
            kind: [b.case_id for b in await views.worklist(session, kind, now)] for kind in views.WorklistKind
        }
    assert found[views.WorklistKind.waitlisted] == [waiting]
    assert found[views.WorklistKind.deadline_at_risk] == [waiting]
    assert found[views.WorklistKind.late] == [late]
    assert found[views.WorklistKind.not_ready] == [late, soon]  # listed 60 h ahead, readiness unknown


async def test_an_answer_shows_positions_as_renumbered_in_the_same_transaction(
    api: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    team_id, _ = await team(api, sessions)
    meeting = await one_off(api, team_id, 72)
    cases = [uuid.uuid4() for _ in range(3)]
    async with sessions() as session, session.begin():
        for n, case_id in enumerate(cases):
            await on_recommendation(
                session, recommendation(case_id, urgency=Urgency.routine, hours=336 + n), POLICY
            )
    path = f"/v1/meetings/{meeting['meeting_id']}"
    first, second, third = (await api.get(f"{path}/agenda")).json()
    moved = await api.patch(f"{path}/items/{first['item_id']}", json={"position": 3})
    assert moved.status_code == 200 and moved.json()["position"] == 3
    assert moved.json()["estimated_start"] > second["estimated_start"]
    positions = [(i["item_id"], i["position"]) for i in (await api.get(f"{path}/agenda")).json()]
    assert positions == [(second["item_id"], 1), (third["item_id"], 2), (first["item_id"], 3)]


async def test_an_ended_series_refuses_changes(api: httpx.AsyncClient, sessions: SessionFactory) -> None:
    team_id, _ = await team(api, sessions)
    series = {"weekday": 2, "start_local": "08:00", "duration_minutes": 90, "starts_on": str(date.today())}
    created = await api.post(f"/v1/teams/{team_id}/series", json=series)
    assert created.status_code == 201, created.text
    series_id = created.json()["series_id"]
    assert (await api.patch(f"/v1/series/{series_id}", json={"duration_minutes": 60})).status_code == 200
    assert (await api.delete(f"/v1/series/{series_id}")).status_code == 204
    refused = await api.patch(f"/v1/series/{series_id}", json={"duration_minutes": 45})
    assert refused.status_code == 409, refused.text
    assert "ended" in refused.json()["detail"]
