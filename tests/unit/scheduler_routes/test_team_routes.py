"""Teams, members and weekly series over HTTP (meetings.md §5)."""

from datetime import date

import pytest

from services.scheduler import teams
from services.scheduler.coordination import ConflictError, InvalidRequestError, NotFoundError
from services.scheduler.meeting_schemas import SeriesPublic, TeamPublic
from tests.unit.scheduler_routes.conftest import ACTOR, Api, fields, problem

TEAM = TeamPublic(
    team_id=1,
    code="bone-mets",
    name="Bone mets",
    timezone="Europe/London",
    quorum_specialties=["surgery"],
    minutes_full=6,
    minutes_standard_of_care=1,
    listing_cutoff_hours=48,
    horizon_weeks=12,
    members=[],
)
SERIES = SeriesPublic(
    series_id=3,
    team_id=1,
    weekday=2,
    start_local="16:00",
    duration_minutes=60,
    capacity_minutes=60,
    starts_on=date(2031, 1, 7),
    ends_on=None,
    active=True,
)
NEW_TEAM = {
    "code": "bone-mets",
    "name": "Bone mets",
    "timezone": "Europe/London",
    "quorum_specialties": ["surgery"],
}
NEW_SERIES = {"weekday": 2, "start_local": "16:00", "duration_minutes": 60, "starts_on": "2031-01-07"}


async def test_a_team_is_made_read_and_changed(api: Api) -> None:
    made = api.fake(teams, "create_team", TEAM)
    response = await api.client.post("/v1/teams", json=NEW_TEAM)
    assert response.status_code == 201 and response.json()["code"] == "bone-mets"
    assert made[0].args[0] == ACTOR and made[0].args[1].quorum_specialties == ["surgery"]
    api.fake(teams, "list_teams", [TEAM])
    assert [t["team_id"] for t in (await api.client.get("/v1/teams")).json()] == [1]
    api.fake(teams, "find_team", TEAM)
    assert (await api.client.get("/v1/teams/1", headers=api.as_role("clinician"))).status_code == 200
    changed = api.fake(teams, "update_team", TEAM)
    assert (await api.client.patch("/v1/teams/1", json={"horizon_weeks": 8})).status_code == 200
    assert changed[0].args[1] == 1 and changed[0].args[3] is api.context.policy


async def test_team_refusals(api: Api) -> None:
    api.fake(teams, "create_team", raises=ConflictError("a team with code bone-mets exists"))
    body = problem(await api.client.post("/v1/teams", json=NEW_TEAM), 409)
    assert body["detail"] == "a team with code bone-mets exists"
    api.fake(teams, "find_team", raises=NotFoundError("no team 9"))
    assert problem(await api.client.get("/v1/teams/9"), 404)["detail"] == "no team 9"
    api.fake(teams, "update_team", raises=InvalidRequestError("name", "must not be null"))
    assert fields(problem(await api.client.patch("/v1/teams/1", json={"name": None}), 422)) == {
        "name": "must not be null"
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_TEAM, "timezone": "Mars/Olympus"}, "timezone"),
        ({**NEW_TEAM, "quorum_specialties": []}, "quorum_specialties"),
        ({**NEW_TEAM, "code": "Bone Mets"}, "code"),
    ],
)
async def test_a_bad_team_is_422_naming_the_field(api: Api, body: dict[str, object], field: str) -> None:
    calls = api.fake(teams, "create_team", TEAM)
    assert field in fields(problem(await api.client.post("/v1/teams", json=body), 422))
    assert calls == []


async def test_members_are_put_and_removed(api: Api) -> None:
    put = api.fake(teams, "put_member", TEAM)
    assert (await api.client.put("/v1/teams/1/members/7", json={"role": "core"})).status_code == 200
    assert put[0].args[1:3] == (1, 7) and api.retried == ["worklist"]
    api.fake(teams, "delete_member")
    assert (await api.client.delete("/v1/teams/1/members/7")).status_code == 204
    api.fake(teams, "put_member", raises=InvalidRequestError("clinician_id", "7 is not a clinician"))
    body = problem(await api.client.put("/v1/teams/1/members/7", json={"role": "cover"}), 422)
    assert fields(body) == {"clinician_id": "7 is not a clinician"}
    api.fake(teams, "delete_member", raises=NotFoundError("clinician 7 is not a member of team 1"))
    problem(await api.client.delete("/v1/teams/1/members/7"), 404)
    assert problem(await api.client.put("/v1/teams/1/members/7", json={"role": "chair"}), 422)
    assert api.retried == ["worklist"] and api.uow.committed == 2 and api.uow.rolled_back == 2


async def test_series_are_made_listed_changed_and_ended(api: Api) -> None:
    made = api.fake(teams, "create_series", SERIES)
    response = await api.client.post("/v1/teams/1/series", json=NEW_SERIES)
    assert response.status_code == 201 and response.json()["series_id"] == 3
    assert made[0].args[1] == 1 and api.retried == ["worklist"]
    api.fake(teams, "series_of_team", [SERIES])
    assert len((await api.client.get("/v1/teams/1/series")).json()) == 1
    api.fake(teams, "update_series", SERIES)
    assert (await api.client.patch("/v1/series/3", json={"capacity_minutes": 90})).status_code == 200
    api.fake(teams, "delete_series", 2)
    assert (await api.client.delete("/v1/series/3")).status_code == 204
    assert api.retried == ["worklist", "worklist"] and api.uow.committed == 4


async def test_series_refusals(api: Api) -> None:
    reason = "capacity_minutes: below the minutes already listed on a meeting"
    api.fake(teams, "update_series", raises=ConflictError(reason))
    assert (
        problem(await api.client.patch("/v1/series/3", json={"capacity_minutes": 5}), 409)["detail"] == reason
    )
    api.fake(teams, "delete_series", raises=NotFoundError("no series 3"))
    problem(await api.client.delete("/v1/series/3"), 404)
    api.fake(teams, "series_of_team", raises=NotFoundError("no team 1"))
    problem(await api.client.get("/v1/teams/1/series"), 404)
    calls = api.fake(teams, "create_series", SERIES)
    body = problem(await api.client.post("/v1/teams/1/series", json={**NEW_SERIES, "weekday": 0}), 422)
    assert fields(body).keys() == {"weekday"} and calls == []
    assert api.retried == []


async def test_a_clinician_reads_teams_but_does_not_change_them(api: Api) -> None:
    calls = api.fake(teams, "create_team", TEAM)
    problem(await api.client.post("/v1/teams", json=NEW_TEAM, headers=api.as_role("clinician")), 403)
    problem(await api.client.post("/v1/teams", json=NEW_TEAM, headers=api.as_role(None)), 401)
    assert calls == []
