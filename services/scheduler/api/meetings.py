"""Meetings, their agendas and their life (meetings.md §3, §5)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.scheduler import agenda_edits, meetings, views
from services.scheduler.api.context import (
    AUTH,
    CONFLICT,
    FAILURES,
    INVALID,
    NOT_FOUND,
    Context,
    Reader,
    Writer,
    translate,
)
from services.scheduler.meeting_schemas import (
    AgendaItemPublic,
    ItemUpdate,
    MeetingCreate,
    MeetingPublic,
    MoveRequest,
)
from services.scheduler.schemas import Instant

router = APIRouter(prefix="/v1", tags=["meetings"], responses=AUTH)
Status = Literal["scheduled", "locked", "finished", "cancelled"]


@router.get("/meetings", response_model=list[MeetingPublic], responses=INVALID)
async def list_meetings(
    _: Reader,
    context: Context,
    team: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a team_id")] = None,
    since: Annotated[Instant | None, Query(alias="from")] = None,
    until: Annotated[Instant | None, Query(alias="to")] = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[MeetingPublic]:
    """Meetings in start order."""
    async with context.sessions() as session:
        return await views.meetings(session, team, since, until, status, limit)


@router.post("/meetings", status_code=201, response_model=MeetingPublic, responses=NOT_FOUND)
async def create_meeting(body: MeetingCreate, who: Writer, context: Context) -> MeetingPublic:
    """A one-off meeting; the worklist is re-tried."""
    try:
        async with context.sessions() as session, session.begin():
            meeting = await agenda_edits.create_meeting(session, who.token_id, body)
            view = await views.meeting(session, meeting.meeting_id)
    except FAILURES as error:
        raise translate(error) from None
    context.retrier.trigger()
    return view


@router.get("/meetings/{meeting_id}", response_model=MeetingPublic, responses=NOT_FOUND)
async def get_meeting(meeting_id: UUID, _: Reader, context: Context) -> MeetingPublic:
    try:
        async with context.sessions() as session:
            return await views.meeting(session, meeting_id)
    except FAILURES as error:
        raise translate(error) from None


@router.get("/meetings/{meeting_id}/agenda", response_model=list[AgendaItemPublic], responses=NOT_FOUND)
async def get_agenda(
    meeting_id: UUID, _: Reader, context: Context, every_status: bool = False
) -> list[AgendaItemPublic]:
    """Items in agenda order, each with its case's urgency, deadline, mode, minutes, readiness, estimated
    start and the recommendation's verdict per therapy. `every_status` adds the deferred and withdrawn."""
    try:
        async with context.sessions() as session:
            return await views.agenda(session, meeting_id, every_status=every_status)
    except FAILURES as error:
        raise translate(error) from None


async def _transition(action: str, meeting_id: UUID, who_id: str, context: Context) -> MeetingPublic:
    run = {
        "lock": meetings.lock_meeting,
        "finish": meetings.finish_meeting,
        "cancel": meetings.cancel_meeting,
    }[action]
    try:
        async with context.sessions() as session, session.begin():
            await run(session, meeting_id, context.policy, who_id)
            view = await views.meeting(session, meeting_id)
    except FAILURES as error:
        raise translate(error) from None
    context.on_commit()
    return view


@router.post("/meetings/{meeting_id}/lock", response_model=MeetingPublic, responses=CONFLICT)
async def lock_meeting(meeting_id: UUID, who: Writer, context: Context) -> MeetingPublic:
    """Locks the agenda now: items not ready are deferred (not_ready) and placed again elsewhere."""
    return await _transition("lock", meeting_id, who.token_id, context)


@router.post("/meetings/{meeting_id}/finish", response_model=MeetingPublic, responses=CONFLICT)
async def finish_meeting(meeting_id: UUID, who: Writer, context: Context) -> MeetingPublic:
    """Items still listed are deferred (not_reached) and placed again."""
    return await _transition("finish", meeting_id, who.token_id, context)


@router.post("/meetings/{meeting_id}/cancel", response_model=MeetingPublic, responses=CONFLICT)
async def cancel_meeting(meeting_id: UUID, who: Writer, context: Context) -> MeetingPublic:
    """Items are deferred (meeting_cancelled) and placed again."""
    return await _transition("cancel", meeting_id, who.token_id, context)


@router.put(
    "/meetings/{meeting_id}/absences/{clinician_id}", response_model=MeetingPublic, responses=CONFLICT
)
async def record_absence(meeting_id: UUID, clinician_id: int, who: Writer, context: Context) -> MeetingPublic:
    """The member is away: items that lose their quorum are deferred (quorum_lost) and placed again."""
    try:
        async with context.sessions() as session, session.begin():
            await meetings.record_absence(session, meeting_id, clinician_id, context.policy, who.token_id)
            view = await views.meeting(session, meeting_id)
    except FAILURES as error:
        raise translate(error) from None
    context.on_commit()
    return view


@router.delete("/meetings/{meeting_id}/absences/{clinician_id}", status_code=204, responses=CONFLICT)
async def remove_absence(meeting_id: UUID, clinician_id: int, who: Writer, context: Context) -> Response:
    try:
        async with context.sessions() as session, session.begin():
            await meetings.remove_absence(session, meeting_id, clinician_id, who.token_id)
    except FAILURES as error:
        raise translate(error) from None
    context.retrier.trigger()
    return Response(status_code=204)


@router.patch("/meetings/{meeting_id}/items/{item_id}", response_model=AgendaItemPublic, responses=CONFLICT)
async def update_item(
    meeting_id: UUID, item_id: UUID, body: ItemUpdate, who: Writer, context: Context
) -> AgendaItemPublic:
    """`minutes` (409 when the agenda would exceed capacity), `position` (1..n; the others renumber),
    `readiness` (true, false or null per value)."""
    try:
        async with context.sessions() as session, session.begin():
            await agenda_edits.update_item(session, who.token_id, meeting_id, item_id, body, context.policy)
            view = next(i for i in await views.agenda(session, meeting_id) if i.item_id == item_id)
    except FAILURES as error:
        raise translate(error) from None
    context.on_commit()
    return view


@router.post(
    "/meetings/{meeting_id}/items/{item_id}/move", response_model=AgendaItemPublic, responses=CONFLICT
)
async def move_item(
    meeting_id: UUID, item_id: UUID, body: MoveRequest, who: Writer, context: Context
) -> AgendaItemPublic:
    """To another meeting: 409 with the reason when it lacks quorum or room, or is finished or cancelled."""
    try:
        async with context.sessions() as session, session.begin():
            await agenda_edits.move_item(
                session, who.token_id, meeting_id, item_id, body.meeting_id, context.policy
            )
            view = next(i for i in await views.agenda(session, body.meeting_id) if i.item_id == item_id)
    except FAILURES as error:
        raise translate(error) from None
    context.on_commit()
    return view
