"""Meetings and their agendas over HTTP (meetings.md §3, §5): the answers to a coordinator, and every refusal
as problem+json."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.scheduler import agenda_edits, meetings, views
from services.scheduler.coordination import ConflictError, InvalidRequestError, NotFoundError
from services.scheduler.meeting_schemas import AgendaItemPublic, MeetingPublic, QuorumPublic
from services.scheduler.meetings import MeetingConflictError
from shared.errors import NotFoundError as SharedNotFound
from tests.unit.scheduler_routes.conftest import ACTOR, Api, fields, problem

START = datetime(2031, 1, 7, 16, tzinfo=UTC)
MEETING_ID, ITEM_ID, OTHER_ID = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def a_meeting(status: str = "scheduled") -> MeetingPublic:
    return MeetingPublic(
        meeting_id=MEETING_ID,
        team_id=1,
        team_code="bone-mets",
        series_id=None,
        start=START,
        end=START + timedelta(hours=1),
        status=status,
        capacity_minutes=60,
        used_minutes=6,
        attendance=[],
        quorum=QuorumPublic(met=False, lacking=[]),
    )


def an_item(meeting_id: uuid.UUID = MEETING_ID) -> AgendaItemPublic:
    return AgendaItemPublic(
        item_id=ITEM_ID,
        meeting_id=meeting_id,
        booking_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        case_version=1,
        mode="full",
        minutes=6,
        position=1,
        urgency="routine",
        deadline=START + timedelta(days=7),
        required_specialties=[],
        readiness={"imaging": True},
        ready=False,
        status="listed",
        late=False,
        reason=None,
        estimated_start=START,
        recommendation={"surgery": "recommended"},
    )


async def test_meetings_are_listed_and_read(api: Api) -> None:
    listed = api.fake(views, "find_meetings", [a_meeting()])
    response = await api.client.get("/v1/meetings", params={"team": 1, "status": "scheduled", "limit": 5})
    assert response.status_code == 200 and response.json()[0]["meeting_id"] == str(MEETING_ID)
    assert listed[0].args == (1, None, None, "scheduled", 5)
    api.fake(views, "find_meeting", a_meeting())
    assert (await api.client.get(f"/v1/meetings/{MEETING_ID}")).json()["team_code"] == "bone-mets"
    api.fake(views, "find_agenda", [an_item()])
    agenda = await api.client.get(f"/v1/meetings/{MEETING_ID}/agenda", params={"every_status": "true"})
    assert agenda.json()[0]["item_id"] == str(ITEM_ID)


@pytest.mark.parametrize(
    "params",
    [{"team": 0}, {"status": "postponed"}, {"from": "2031-01-07T16:00:00"}, {"limit": 0}],
)
async def test_a_bad_meeting_filter_is_422_naming_it(api: Api, params: dict[str, Any]) -> None:
    calls = api.fake(views, "find_meetings", [])
    body = problem(await api.client.get("/v1/meetings", params=params), 422)
    assert fields(body).keys() == {f"query.{next(iter(params))}"}
    assert calls == []


@pytest.mark.parametrize("use_case", ["find_meeting", "find_agenda"])
async def test_an_unknown_meeting_is_404(api: Api, use_case: str) -> None:
    api.fake(views, use_case, raises=SharedNotFound(f"no meeting {MEETING_ID}"))
    path = f"/v1/meetings/{MEETING_ID}" + ("/agenda" if use_case == "find_agenda" else "")
    body = problem(await api.client.get(path), 404)
    assert body["detail"] == f"no meeting {MEETING_ID}"


async def test_a_one_off_meeting_is_made_and_the_worklist_retried(api: Api) -> None:
    calls = api.fake(agenda_edits, "create_meeting", a_meeting())
    body = {"team_id": 1, "start": START.isoformat(), "duration_minutes": 60}
    response = await api.client.post("/v1/meetings", json=body)
    assert response.status_code == 201 and response.json()["meeting_id"] == str(MEETING_ID)
    assert calls[0].args[0] == ACTOR  # audited by a digest of the caller's token, never the token
    assert api.retried == ["worklist"] and api.uow.committed == 1


async def test_a_meeting_in_the_past_or_for_no_team_is_refused(api: Api) -> None:
    api.fake(agenda_edits, "create_meeting", raises=InvalidRequestError("start", "must be in the future"))
    body = {"team_id": 1, "start": START.isoformat(), "duration_minutes": 60}
    refused = problem(await api.client.post("/v1/meetings", json=body), 422)
    assert fields(refused) == {"start": "must be in the future"}
    api.fake(agenda_edits, "create_meeting", raises=NotFoundError("no team 1"))
    assert problem(await api.client.post("/v1/meetings", json=body), 404)["detail"] == "no team 1"
    assert api.retried == [] and api.uow.rolled_back == 2


@pytest.mark.parametrize("action", ["lock", "finish", "cancel"])
async def test_a_meeting_changes_status(api: Api, action: str) -> None:
    calls = api.fake(meetings, "change_status", a_meeting("locked"))
    response = await api.client.post(f"/v1/meetings/{MEETING_ID}/{action}")
    assert response.status_code == 200 and response.json()["status"] == "locked"
    assert calls[0].args[:2] == (action, MEETING_ID) and calls[0].args[2] is api.context.policy
    assert api.uow.committed == 1


@pytest.mark.parametrize("action", ["lock", "finish", "cancel"])
async def test_a_finished_meeting_is_409_naming_its_status(api: Api, action: str) -> None:
    api.fake(meetings, "change_status", raises=MeetingConflictError("finished", "locked"))
    body = problem(await api.client.post(f"/v1/meetings/{MEETING_ID}/{action}"), 409)
    assert (body["title"], body["detail"]) == ("Conflict", "the meeting is finished; it cannot be locked")
    assert body["errors"] == [{"field": "status", "reason": "finished"}]


async def test_only_a_coordinator_changes_a_meeting(api: Api) -> None:
    calls = api.fake(meetings, "change_status", a_meeting())
    problem(await api.client.post(f"/v1/meetings/{MEETING_ID}/lock", headers=api.as_role("clinician")), 403)
    problem(await api.client.post(f"/v1/meetings/{MEETING_ID}/lock", headers=api.as_role(None)), 401)
    assert calls == []
    api.fake(views, "find_meeting", a_meeting())
    assert (await api.client.get(f"/v1/meetings/{MEETING_ID}", headers=api.as_role("ops"))).status_code == 200


async def test_an_absence_is_recorded_and_taken_back(api: Api) -> None:
    recorded = api.fake(meetings, "record_absence", a_meeting())
    assert (await api.client.put(f"/v1/meetings/{MEETING_ID}/absences/7")).status_code == 200
    assert recorded[0].args[:2] == (MEETING_ID, 7)
    api.fake(meetings, "remove_absence", True)
    assert (await api.client.delete(f"/v1/meetings/{MEETING_ID}/absences/7")).status_code == 204
    assert api.retried == ["worklist"] and api.uow.committed == 2


async def test_an_absence_of_a_non_member_or_at_a_cancelled_meeting_is_refused(api: Api) -> None:
    api.fake(meetings, "record_absence", raises=NotFoundError("clinician 7 is not a member"))
    problem(await api.client.put(f"/v1/meetings/{MEETING_ID}/absences/7"), 404)
    api.fake(meetings, "remove_absence", raises=MeetingConflictError("cancelled", "changed"))
    body = problem(await api.client.delete(f"/v1/meetings/{MEETING_ID}/absences/7"), 409)
    assert fields(body) == {"status": "cancelled"}
    assert api.retried == []


async def test_an_item_is_edited_and_moved(api: Api) -> None:
    edited = api.fake(agenda_edits, "update_item", an_item())
    response = await api.client.patch(
        f"/v1/meetings/{MEETING_ID}/items/{ITEM_ID}", json={"minutes": 10, "readiness": {"imaging": True}}
    )
    assert response.status_code == 200 and response.json()["item_id"] == str(ITEM_ID)
    assert edited[0].args[1:3] == (MEETING_ID, ITEM_ID) and edited[0].args[3].minutes == 10
    moved = api.fake(agenda_edits, "move_item", an_item(OTHER_ID))
    response = await api.client.post(
        f"/v1/meetings/{MEETING_ID}/items/{ITEM_ID}/move", json={"meeting_id": str(OTHER_ID)}
    )
    assert response.status_code == 200 and response.json()["meeting_id"] == str(OTHER_ID)
    assert moved[0].args[1:4] == (MEETING_ID, ITEM_ID, OTHER_ID)


async def test_agenda_edits_refused_by_the_rules(api: Api) -> None:
    path = f"/v1/meetings/{MEETING_ID}/items/{ITEM_ID}"
    api.fake(agenda_edits, "update_item", raises=ConflictError("the agenda would exceed its capacity"))
    assert problem(await api.client.patch(path, json={"minutes": 600}), 409)["detail"].startswith(
        "the agenda"
    )
    api.fake(agenda_edits, "update_item", raises=InvalidRequestError("position", "must be 1..3"))
    assert fields(problem(await api.client.patch(path, json={"position": 9}), 422)) == {
        "position": "must be 1..3"
    }
    api.fake(agenda_edits, "move_item", raises=NotFoundError(f"no item {ITEM_ID} on meeting {MEETING_ID}"))
    problem(await api.client.post(f"{path}/move", json={"meeting_id": str(OTHER_ID)}), 404)
    assert api.uow.rolled_back == 3 and api.uow.committed == 0


async def test_a_malformed_item_edit_is_422_before_the_use_case(api: Api) -> None:
    calls = api.fake(agenda_edits, "update_item", an_item())
    body = problem(
        await api.client.patch(
            f"/v1/meetings/{MEETING_ID}/items/{ITEM_ID}", json={"minutes": 0, "colour": 1}
        ),
        422,
    )
    assert fields(body).keys() == {"minutes", "colour"}
    assert calls == []
