"""The scheduler's API as the console uses it: teams, meetings, agendas, the worklist, bookings and outcomes
(contracts.md §5-6, meetings.md §5-6). Every path and field name the console relies on is here."""

from datetime import datetime
from typing import Any
from uuid import UUID

from services.console.upstream.calls import Caller

WORKLIST_KINDS = ("waitlisted", "late", "not_ready", "deadline_at_risk")
MEETING_ACTIONS = ("lock", "finish", "cancel")
READINESS_KEYS = ("imaging", "histology", "spine_mri")


async def teams(scheduler: Caller) -> list[dict[str, Any]]:
    """GET /v1/teams: [{team_id, code, name, timezone, quorum_specialties, members?}]."""
    return _listed(await scheduler.call("GET", "/v1/teams"))


async def meetings(scheduler: Caller, team_id: int, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """GET /v1/meetings?team=&from=&to=: meetings in start order."""
    return _listed(
        await scheduler.call(
            "GET",
            "/v1/meetings",
            params={"team": team_id, "from": since.isoformat(), "to": until.isoformat()},
        )
    )


async def meeting(scheduler: Caller, meeting_id: UUID) -> dict[str, Any]:
    """GET /v1/meetings/{id}: {meeting_id, team_id, start, end, status, capacity_minutes, used_minutes,
    attendance: [{clinician_id, name, specialty, role, response}], quorum: {met, lacking}}."""
    result: dict[str, Any] = await scheduler.call("GET", f"/v1/meetings/{meeting_id}")
    return result


async def agenda(scheduler: Caller, meeting_id: UUID) -> list[dict[str, Any]]:
    """GET /v1/meetings/{id}/agenda: items in order, each {item_id, case_id, case_version, mode, minutes,
    position, urgency, deadline, readiness, ready, status, late, reason, estimated_start, recommendation}."""
    return _listed(await scheduler.call("GET", f"/v1/meetings/{meeting_id}/agenda"), key="items")


async def change_meeting(scheduler: Caller, meeting_id: UUID, action: str) -> dict[str, Any]:
    """POST /v1/meetings/{id}/lock|finish|cancel."""
    if action not in MEETING_ACTIONS:
        raise ValueError(f"unknown meeting action {action!r}")
    result: dict[str, Any] = await scheduler.call("POST", f"/v1/meetings/{meeting_id}/{action}")
    return result


async def record_absence(scheduler: Caller, meeting_id: UUID, clinician_id: int) -> None:
    """PUT /v1/meetings/{id}/absences/{clinician_id}."""
    await scheduler.call("PUT", f"/v1/meetings/{meeting_id}/absences/{clinician_id}")


async def remove_absence(scheduler: Caller, meeting_id: UUID, clinician_id: int) -> None:
    """DELETE /v1/meetings/{id}/absences/{clinician_id}."""
    await scheduler.call("DELETE", f"/v1/meetings/{meeting_id}/absences/{clinician_id}")


async def update_item(
    scheduler: Caller,
    meeting_id: UUID,
    item_id: UUID,
    *,
    minutes: int | None = None,
    position: int | None = None,
    readiness: dict[str, bool | None] | None = None,
) -> dict[str, Any]:
    """PATCH /v1/meetings/{id}/items/{item_id} with any of `minutes`, `position`, `readiness`."""
    body: dict[str, Any] = {}
    if minutes is not None:
        body["minutes"] = minutes
    if position is not None:
        body["position"] = position
    if readiness is not None:
        body["readiness"] = readiness
    result: dict[str, Any] = await scheduler.call(
        "PATCH", f"/v1/meetings/{meeting_id}/items/{item_id}", json=body
    )
    return result


async def move_item(scheduler: Caller, meeting_id: UUID, item_id: UUID, to_meeting_id: UUID) -> None:
    """POST /v1/meetings/{id}/items/{item_id}/move {meeting_id}: 409 with the reason when refused."""
    await scheduler.call(
        "POST", f"/v1/meetings/{meeting_id}/items/{item_id}/move", json={"meeting_id": str(to_meeting_id)}
    )


async def worklist(scheduler: Caller, kind: str) -> list[dict[str, Any]]:
    """GET /v1/worklist?kind=: bookings (placements), most urgent first, then by deadline."""
    return _listed(await scheduler.call("GET", "/v1/worklist", params={"kind": kind}))


async def bookings_of_case(scheduler: Caller, case_id: UUID) -> list[dict[str, Any]]:
    """GET /v1/bookings?case_id=: the case's placements (huddles and, with meetings, meeting listings)."""
    return _listed(await scheduler.call("GET", "/v1/bookings", params={"case_id": str(case_id)}))


async def booking(scheduler: Caller, booking_id: UUID) -> dict[str, Any]:
    """GET /v1/bookings/{id}."""
    result: dict[str, Any] = await scheduler.call("GET", f"/v1/bookings/{booking_id}")
    return result


async def record_item_outcome(
    scheduler: Caller, meeting_id: UUID, item_id: UUID, outcome: dict[str, Any]
) -> dict[str, Any]:
    """POST /v1/meetings/{id}/items/{item_id}/outcome: 201 the outcome {outcome_id, version, ...}."""
    result: dict[str, Any] = await scheduler.call(
        "POST", f"/v1/meetings/{meeting_id}/items/{item_id}/outcome", json=outcome
    )
    return result


async def record_huddle_outcome(
    scheduler: Caller, booking_id: UUID, outcome: dict[str, Any]
) -> dict[str, Any]:
    """POST /v1/bookings/{id}/outcome: 201 the outcome."""
    result: dict[str, Any] = await scheduler.call("POST", f"/v1/bookings/{booking_id}/outcome", json=outcome)
    return result


def _listed(body: Any, key: str = "items") -> list[dict[str, Any]]:
    """A list answer; also accepts one wrapped as {key: [...]}, so a service that adds a wrapper object
    breaks nothing here."""
    if isinstance(body, dict):
        body = body.get(key, [])
    return [entry for entry in body or [] if isinstance(entry, dict)]
