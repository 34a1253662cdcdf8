"""One meeting's agenda: items in order with their readiness, minutes and position; moving an item; lock,
finish and cancel behind a confirmation; absences. Changes are the coordinator's."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.domain.reading import readiness_lines
from services.console.pages.rendering import render
from services.console.pages.session import Coordinator, Reader, flash
from services.console.upstream import scheduler
from services.console.upstream.calls import UpstreamError

router = APIRouter()
MOVE_HORIZON = timedelta(weeks=6)
ACTION_WORDS = {
    "lock": (
        "Lock the agenda",
        "Items that are not ready are deferred and placed again; only urgent cases can still be listed.",
    ),
    "finish": (
        "Finish the meeting",
        "Items still listed are deferred (not reached) and placed again; the meeting takes nothing more.",
    ),
    "cancel": ("Cancel the meeting", "Every item is deferred (meeting cancelled) and placed again."),
}


async def _team_timezone(user: Reader, team_id: Any, default: str) -> str:
    for team in await scheduler.teams(user.scheduler):
        if team.get("team_id") == team_id:
            return str(team.get("timezone") or default)
    return default


@router.get("/meetings/{meeting_id}", response_class=HTMLResponse)
async def agenda_page(request: Request, meeting_id: UUID, user: Reader) -> Response:
    meeting = await scheduler.meeting(user.scheduler, meeting_id)
    items = await scheduler.agenda(user.scheduler, meeting_id)
    now = datetime.now(UTC)
    targets = [
        m
        for m in await scheduler.meetings(user.scheduler, int(meeting["team_id"]), now, now + MOVE_HORIZON)
        if str(m.get("meeting_id")) != str(meeting_id) and m.get("status") in ("scheduled", "locked")
    ]
    timezone = await _team_timezone(user, meeting.get("team_id"), request.app.state.settings.console_timezone)
    return render(
        request,
        "agenda.html",
        {
            "meeting": meeting,
            "items": [{**i, "readiness_lines": readiness_lines(i.get("readiness") or {})} for i in items],
            "targets": targets,
            "team_timezone": timezone,
            "manages": user.manages_agendas,
            "records": user.records_outcomes,
            "open": meeting.get("status") in ("scheduled", "locked"),
        },
    )


@router.get("/meetings/{meeting_id}/confirm/{action}", response_class=HTMLResponse)
async def confirm_page(request: Request, meeting_id: UUID, action: str, user: Reader) -> Response:
    if action not in ACTION_WORDS:
        return RedirectResponse(f"/meetings/{meeting_id}", status_code=303)
    meeting = await scheduler.meeting(user.scheduler, meeting_id)
    items = await scheduler.agenda(user.scheduler, meeting_id)
    timezone = await _team_timezone(user, meeting.get("team_id"), request.app.state.settings.console_timezone)
    title, consequence = ACTION_WORDS[action]
    return render(
        request,
        "confirm.html",
        {
            "meeting": meeting,
            "action": action,
            "title": title,
            "consequence": consequence,
            "not_ready": [i for i in items if i.get("status") == "listed" and not i.get("ready")],
            "still_listed": [i for i in items if i.get("status") == "listed"],
            "team_timezone": timezone,
        },
    )


def _back(meeting_id: UUID, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/meetings/{meeting_id}{anchor}", status_code=303)


def _refused(request: Request, what: str, error: UpstreamError) -> None:
    flash(request, "error", f"{what}: {error.detail}", error.errors)


@router.post("/meetings/{meeting_id}/{action}")
async def change_meeting(
    request: Request, meeting_id: UUID, action: str, user: Coordinator, confirm: Annotated[str, Form()] = ""
) -> Response:
    if action not in ACTION_WORDS:
        return _back(meeting_id)
    if confirm != "yes":
        return RedirectResponse(f"/meetings/{meeting_id}/confirm/{action}", status_code=303)
    try:
        await scheduler.change_meeting(user.scheduler, meeting_id, action)
        flash(
            request,
            "ok",
            {"lock": "Agenda locked.", "finish": "Meeting finished.", "cancel": "Meeting cancelled."}[action],
        )
    except UpstreamError as error:
        _refused(request, f"Could not {action} the meeting", error)
    return _back(meeting_id)


@router.post("/meetings/{meeting_id}/absences/{clinician_id}")
async def change_absence(
    request: Request, meeting_id: UUID, clinician_id: int, user: Coordinator, absent: Annotated[str, Form()]
) -> Response:
    try:
        if absent == "yes":
            await scheduler.record_absence(user.scheduler, meeting_id, clinician_id)
            flash(request, "ok", "Absence recorded; items that lost their quorum were deferred.")
        else:
            await scheduler.remove_absence(user.scheduler, meeting_id, clinician_id)
            flash(request, "ok", "Absence taken back.")
    except UpstreamError as error:
        _refused(request, "Could not change the absence", error)
    return _back(meeting_id, "#attendance")


@router.post("/meetings/{meeting_id}/items/{item_id}/edit")
async def edit_item(
    request: Request,
    meeting_id: UUID,
    item_id: UUID,
    user: Coordinator,
    minutes: Annotated[int, Form(ge=1, le=1440)],
    position: Annotated[int, Form(ge=1)],
    minutes_was: Annotated[int, Form()],
    position_was: Annotated[int, Form()],
) -> Response:
    try:
        await scheduler.update_item(
            user.scheduler,
            meeting_id,
            item_id,
            minutes=minutes if minutes != minutes_was else None,
            position=position if position != position_was else None,
        )
        flash(request, "ok", "Item changed.")
    except UpstreamError as error:
        _refused(request, "Could not change the item", error)
    return _back(meeting_id, f"#item-{item_id}")


@router.post("/meetings/{meeting_id}/items/{item_id}/readiness")
async def set_readiness(request: Request, meeting_id: UUID, item_id: UUID, user: Coordinator) -> Response:
    """Sets one readiness value, sending the item's others as they are (the form carries them)."""
    form = await request.form()
    readiness: dict[str, bool | None] = {}
    for key in scheduler.READINESS_KEYS:
        value = form.get(f"now-{key}")
        if value is not None:
            readiness[key] = {"true": True, "false": False}.get(str(value))
    key, value = str(form.get("key", "")), str(form.get("value", ""))
    if key in scheduler.READINESS_KEYS:
        readiness[key] = {"true": True, "false": False}.get(value)
    try:
        await scheduler.update_item(user.scheduler, meeting_id, item_id, readiness=readiness)
        flash(request, "ok", "Readiness changed.")
    except UpstreamError as error:
        _refused(request, "Could not change readiness", error)
    return _back(meeting_id, f"#item-{item_id}")


@router.post("/meetings/{meeting_id}/items/{item_id}/move")
async def move_item(
    request: Request, meeting_id: UUID, item_id: UUID, user: Coordinator, to_meeting: Annotated[UUID, Form()]
) -> Response:
    try:
        await scheduler.move_item(user.scheduler, meeting_id, item_id, to_meeting)
        flash(request, "ok", "Item moved to the other meeting.")
    except UpstreamError as error:
        _refused(request, "Could not move the item", error)
    return _back(meeting_id)
