"""Teams, their members and their weekly series (meetings.md §5)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from services.scheduler import teams
from services.scheduler.api.context import AUTH, CONFLICT_WITH_BODY, NOT_FOUND_WITH_BODY, Context
from services.scheduler.meeting_schemas import (
    MemberPut,
    SeriesCreate,
    SeriesPublic,
    SeriesUpdate,
    TeamCreate,
    TeamPublic,
    TeamUpdate,
)
from shared.http.dependencies import AnyStaff, Coordinator, UnitOfWorkDep

router = APIRouter(prefix="/v1", tags=["teams"], responses=AUTH)


@router.post("/teams", status_code=201, response_model=TeamPublic, responses=CONFLICT_WITH_BODY)
async def create_team(body: TeamCreate, who: Coordinator, uow: UnitOfWorkDep) -> TeamPublic:
    return await teams.create_team(uow, who.token_id, body)


@router.get("/teams", response_model=list[TeamPublic])
async def list_teams(_: AnyStaff, uow: UnitOfWorkDep) -> list[TeamPublic]:
    return await teams.list_teams(uow)


@router.get("/teams/{team_id}", response_model=TeamPublic, responses=NOT_FOUND_WITH_BODY)
async def get_team(team_id: int, _: AnyStaff, uow: UnitOfWorkDep) -> TeamPublic:
    return await teams.find_team(uow, team_id)


@router.patch("/teams/{team_id}", response_model=TeamPublic, responses=CONFLICT_WITH_BODY)
async def update_team(
    team_id: int, body: TeamUpdate, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> TeamPublic:
    return await teams.update_team(uow, who.token_id, team_id, body, context.policy)


@router.put(
    "/teams/{team_id}/members/{clinician_id}", response_model=TeamPublic, responses=NOT_FOUND_WITH_BODY
)
async def put_member(
    team_id: int, clinician_id: int, body: MemberPut, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> TeamPublic:
    """Adds the clinician to the team as `core` or `cover`, or changes their role. New attendance may give
    waitlisted cases a meeting: the worklist is re-tried."""
    view = await teams.put_member(uow, who.token_id, team_id, clinician_id, body)
    context.retrier.trigger()
    return view


@router.delete("/teams/{team_id}/members/{clinician_id}", status_code=204, responses=NOT_FOUND_WITH_BODY)
async def delete_member(
    team_id: int, clinician_id: int, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> Response:
    await teams.delete_member(uow, who.token_id, team_id, clinician_id, context.policy)
    return Response(status_code=204)


@router.post(
    "/teams/{team_id}/series", status_code=201, response_model=SeriesPublic, responses=CONFLICT_WITH_BODY
)
async def create_series(
    team_id: int, body: SeriesCreate, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> SeriesPublic:
    """The series' meetings are made for the team's horizon; the worklist is re-tried."""
    view = await teams.create_series(uow, who.token_id, team_id, body, context.policy)
    context.retrier.trigger()
    return view


@router.get("/teams/{team_id}/series", response_model=list[SeriesPublic], responses=NOT_FOUND_WITH_BODY)
async def list_series(team_id: int, _: AnyStaff, uow: UnitOfWorkDep) -> list[SeriesPublic]:
    return await teams.series_of_team(uow, team_id)


@router.patch("/series/{series_id}", response_model=SeriesPublic, responses=CONFLICT_WITH_BODY)
async def update_series(
    series_id: int, body: SeriesUpdate, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> SeriesPublic:
    """Meetings that no longer belong to the series are cancelled (their cases placed again); 409 once the
    series has ended."""
    view = await teams.update_series(uow, who.token_id, series_id, body, context.policy)
    context.retrier.trigger()
    return view


@router.delete("/series/{series_id}", status_code=204, responses=NOT_FOUND_WITH_BODY)
async def delete_series(series_id: int, who: Coordinator, uow: UnitOfWorkDep, context: Context) -> Response:
    """Ends the series: its future meetings are cancelled and their cases placed again."""
    await teams.delete_series(uow, who.token_id, series_id, context.policy)
    return Response(status_code=204)
