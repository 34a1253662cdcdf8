"""Teams, their members and their weekly series (meetings.md §5)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from services.scheduler import teams, views
from services.scheduler.api.context import (
    AUTH,
    CONFLICT,
    FAILURES,
    NOT_FOUND,
    Context,
    Reader,
    Writer,
    translate,
)
from services.scheduler.meeting_schemas import (
    MemberPut,
    SeriesCreate,
    SeriesPublic,
    SeriesUpdate,
    TeamCreate,
    TeamPublic,
    TeamUpdate,
)

router = APIRouter(prefix="/v1", tags=["teams"], responses=AUTH)


@router.post("/teams", status_code=201, response_model=TeamPublic, responses=CONFLICT)
async def create_team(body: TeamCreate, who: Writer, context: Context) -> TeamPublic:
    try:
        async with context.sessions() as session, session.begin():
            team = await teams.create_team(session, who.token_id, body)
            return await views.team_public(session, team)
    except FAILURES as error:
        raise translate(error) from None


@router.get("/teams", response_model=list[TeamPublic])
async def list_teams(_: Reader, context: Context) -> list[TeamPublic]:
    async with context.sessions() as session:
        return [await views.team_public(session, t) for t in await teams.list_teams(session)]


@router.get("/teams/{team_id}", response_model=TeamPublic, responses=NOT_FOUND)
async def get_team(team_id: int, _: Reader, context: Context) -> TeamPublic:
    try:
        async with context.sessions() as session:
            return await views.team_public(session, await teams.get_team(session, team_id))
    except FAILURES as error:
        raise translate(error) from None


@router.patch("/teams/{team_id}", response_model=TeamPublic, responses=CONFLICT)
async def update_team(team_id: int, body: TeamUpdate, who: Writer, context: Context) -> TeamPublic:
    try:
        async with context.sessions() as session, session.begin():
            team = await teams.update_team(session, who.token_id, team_id, body, context.policy)
            view = await views.team_public(session, team)
    except FAILURES as error:
        raise translate(error) from None
    context.on_commit()
    return view


@router.put("/teams/{team_id}/members/{clinician_id}", response_model=TeamPublic, responses=NOT_FOUND)
async def put_member(
    team_id: int, clinician_id: int, body: MemberPut, who: Writer, context: Context
) -> TeamPublic:
    """Adds the clinician to the team as `core` or `cover`, or changes their role. New attendance may give
    waitlisted cases a meeting: the worklist is re-tried."""
    try:
        async with context.sessions() as session, session.begin():
            await teams.put_member(session, who.token_id, team_id, clinician_id, body)
            view = await views.team_public(session, await teams.get_team(session, team_id))
    except FAILURES as error:
        raise translate(error) from None
    context.retrier.trigger()
    return view


@router.delete("/teams/{team_id}/members/{clinician_id}", status_code=204, responses=NOT_FOUND)
async def delete_member(team_id: int, clinician_id: int, who: Writer, context: Context) -> Response:
    try:
        async with context.sessions() as session, session.begin():
            await teams.delete_member(session, who.token_id, team_id, clinician_id, context.policy)
    except FAILURES as error:
        raise translate(error) from None
    context.on_commit()
    return Response(status_code=204)


@router.post("/teams/{team_id}/series", status_code=201, response_model=SeriesPublic, responses=CONFLICT)
async def create_series(team_id: int, body: SeriesCreate, who: Writer, context: Context) -> SeriesPublic:
    """The series' meetings are made for the team's horizon; the worklist is re-tried."""
    try:
        async with context.sessions() as session, session.begin():
            series, _ = await teams.create_series(session, who.token_id, team_id, body, context.policy)
            view = views.series_public(series)
    except FAILURES as error:
        raise translate(error) from None
    context.retrier.trigger()
    return view


@router.get("/teams/{team_id}/series", response_model=list[SeriesPublic], responses=NOT_FOUND)
async def list_series(team_id: int, _: Reader, context: Context) -> list[SeriesPublic]:
    try:
        async with context.sessions() as session:
            await teams.get_team(session, team_id)
            return [views.series_public(s) for s in await teams.list_series(session, team_id)]
    except FAILURES as error:
        raise translate(error) from None


@router.patch("/series/{series_id}", response_model=SeriesPublic, responses=CONFLICT)
async def update_series(series_id: int, body: SeriesUpdate, who: Writer, context: Context) -> SeriesPublic:
    """Meetings that no longer belong to the series are cancelled (their cases placed again)."""
    try:
        async with context.sessions() as session, session.begin():
            series = await teams.update_series(session, who.token_id, series_id, body, context.policy)
            view = views.series_public(series)
    except FAILURES as error:
        raise translate(error) from None
    context.on_commit()
    context.retrier.trigger()
    return view


@router.delete("/series/{series_id}", status_code=204, responses=NOT_FOUND)
async def delete_series(series_id: int, who: Writer, context: Context) -> Response:
    """Ends the series: its future meetings are cancelled and their cases placed again."""
    try:
        async with context.sessions() as session, session.begin():
            await teams.delete_series(session, who.token_id, series_id, context.policy)
    except FAILURES as error:
        raise translate(error) from None
    context.on_commit()
    return Response(status_code=204)
