"""Meetings, their agendas and their life (meetings.md §3, §5)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.scheduler import agenda_edits, meetings, views
from services.scheduler.api.context import (
    AUTH,
    CONFLICT_WITH_BODY,
    NOT_FOUND_WITH_BODY,
    WITH_BODY,
    Context,
)
from services.scheduler.meeting_schemas import (
    AgendaItemPublic,
    ItemUpdate,
    MeetingCreate,
    MeetingPublic,
    MoveRequest,
)
from services.scheduler.schemas import Instant
from shared.http.dependencies import AnyStaff, Coordinator, UnitOfWorkDep

router = APIRouter(prefix="/v1", tags=["meetings"], responses=AUTH)
Status = Literal["scheduled", "locked", "finished", "cancelled"]


@router.get("/meetings", response_model=list[MeetingPublic], responses=WITH_BODY)
async def list_meetings(
    _: AnyStaff,
    uow: UnitOfWorkDep,
    team: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a team_id")] = None,
    since: Annotated[Instant | None, Query(alias="from")] = None,
    until: Annotated[Instant | None, Query(alias="to")] = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[MeetingPublic]:
    """Meetings in start order."""
    return await views.find_meetings(uow, team, since, until, status, limit)


@router.post("/meetings", status_code=201, response_model=MeetingPublic, responses=NOT_FOUND_WITH_BODY)
async def create_meeting(
    body: MeetingCreate, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> MeetingPublic:
    """A one-off meeting; the worklist is re-tried."""
    view = await agenda_edits.create_meeting(uow, who.token_id, body)
    context.retrier.trigger()
    return view


@router.get("/meetings/{meeting_id}", response_model=MeetingPublic, responses=NOT_FOUND_WITH_BODY)
async def get_meeting(meeting_id: UUID, _: AnyStaff, uow: UnitOfWorkDep) -> MeetingPublic:
    return await views.find_meeting(uow, meeting_id)


@router.get(
    "/meetings/{meeting_id}/agenda", response_model=list[AgendaItemPublic], responses=NOT_FOUND_WITH_BODY
)
async def get_agenda(
    meeting_id: UUID, _: AnyStaff, uow: UnitOfWorkDep, every_status: bool = False
) -> list[AgendaItemPublic]:
    """Items in agenda order, each with its case's urgency, deadline, mode, minutes, readiness, estimated
    start and the recommendation's verdict per therapy. `every_status` adds the deferred and withdrawn."""
    return await views.find_agenda(uow, meeting_id, every_status=every_status)


@router.post("/meetings/{meeting_id}/lock", response_model=MeetingPublic, responses=CONFLICT_WITH_BODY)
async def lock_meeting(
    meeting_id: UUID, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> MeetingPublic:
    """Locks the agenda now: items not ready are deferred (not_ready) and placed again elsewhere."""
    return await meetings.change_status(uow, "lock", meeting_id, context.policy, who.token_id)


@router.post("/meetings/{meeting_id}/finish", response_model=MeetingPublic, responses=CONFLICT_WITH_BODY)
async def finish_meeting(
    meeting_id: UUID, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> MeetingPublic:
    """Items still listed are deferred (not_reached) and placed again."""
    return await meetings.change_status(uow, "finish", meeting_id, context.policy, who.token_id)


@router.post("/meetings/{meeting_id}/cancel", response_model=MeetingPublic, responses=CONFLICT_WITH_BODY)
async def cancel_meeting(
    meeting_id: UUID, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> MeetingPublic:
    """Items are deferred (meeting_cancelled) and placed again."""
    return await meetings.change_status(uow, "cancel", meeting_id, context.policy, who.token_id)


@router.put(
    "/meetings/{meeting_id}/absences/{clinician_id}",
    response_model=MeetingPublic,
    responses=CONFLICT_WITH_BODY,
)
async def record_absence(
    meeting_id: UUID, clinician_id: int, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> MeetingPublic:
    """The member is away: items that lose their quorum are deferred (quorum_lost) and placed again."""
    return await meetings.record_absence(uow, meeting_id, clinician_id, context.policy, who.token_id)


@router.delete(
    "/meetings/{meeting_id}/absences/{clinician_id}", status_code=204, responses=CONFLICT_WITH_BODY
)
async def remove_absence(
    meeting_id: UUID, clinician_id: int, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> Response:
    await meetings.remove_absence(uow, meeting_id, clinician_id, who.token_id)
    context.retrier.trigger()
    return Response(status_code=204)


@router.patch(
    "/meetings/{meeting_id}/items/{item_id}", response_model=AgendaItemPublic, responses=CONFLICT_WITH_BODY
)
async def update_item(
    meeting_id: UUID, item_id: UUID, body: ItemUpdate, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> AgendaItemPublic:
    """`minutes` (409 when the agenda would exceed capacity), `position` (1..n; the others renumber),
    `readiness` (true, false or null per value)."""
    return await agenda_edits.update_item(uow, who.token_id, meeting_id, item_id, body, context.policy)


@router.post(
    "/meetings/{meeting_id}/items/{item_id}/move",
    response_model=AgendaItemPublic,
    responses=CONFLICT_WITH_BODY,
)
async def move_item(
    meeting_id: UUID, item_id: UUID, body: MoveRequest, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> AgendaItemPublic:
    """To another meeting: 409 with the reason when it lacks quorum or room, or is finished or cancelled."""
    return await agenda_edits.move_item(
        uow, who.token_id, meeting_id, item_id, body.meeting_id, context.policy
    )
