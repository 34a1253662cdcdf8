"""Coordinators keep teams, their members and their weekly series (meetings.md §1, §5). A new or changed
series makes or cancels its meetings (meetings.py) in the same transaction; every change is audited."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler import meetings, views
from services.scheduler.adapters.tables import ClinicianRecord, SeriesRecord, TeamMemberRecord, TeamRecord
from services.scheduler.coordination import MAX_ID, ConflictError, InvalidRequestError, NotFoundError, audit
from services.scheduler.domain.series import parse_local_time
from services.scheduler.meeting_schemas import (
    MemberPut,
    SeriesCreate,
    SeriesPublic,
    SeriesUpdate,
    TeamCreate,
    TeamPublic,
    TeamUpdate,
)
from services.scheduler.service import BookingPolicy
from shared.db.unit_of_work import UnitOfWork


async def get_team(session: AsyncSession, team_id: int, *, lock: bool = False) -> TeamRecord:
    team = (
        None if not 1 <= team_id <= MAX_ID else await session.get(TeamRecord, team_id, with_for_update=lock)
    )
    if team is None:
        raise NotFoundError(f"no team {team_id}")
    return team


async def members_of(session: AsyncSession, team_id: int) -> list[tuple[TeamMemberRecord, ClinicianRecord]]:
    rows = await session.exec(
        select(TeamMemberRecord, ClinicianRecord)
        .join(ClinicianRecord, col(ClinicianRecord.id) == col(TeamMemberRecord.clinician_id))
        .where(col(TeamMemberRecord.team_id) == team_id)
        .order_by(col(ClinicianRecord.specialty), col(TeamMemberRecord.role), col(ClinicianRecord.id))
    )
    return list(rows.all())


async def create_team(uow: UnitOfWork, actor: str, body: TeamCreate) -> TeamPublic:
    async with uow.begin() as session:
        if (
            await session.exec(select(TeamRecord).where(col(TeamRecord.code) == body.code))
        ).first() is not None:
            raise ConflictError(f"a team with code {body.code} exists")
        team = TeamRecord(
            **{**body.model_dump(), "quorum_specialties": [s.value for s in body.quorum_specialties]}
        )
        session.add(team)
        await session.flush()
        audit(session, actor, "create", "team", team.team_id, code=team.code)
        return await views.team_public(session, team)


async def list_teams(uow: UnitOfWork) -> list[TeamPublic]:
    async with uow.read() as session:
        found = (await session.exec(select(TeamRecord).order_by(col(TeamRecord.team_id)))).all()
        return [await views.team_public(session, team) for team in found]


async def find_team(uow: UnitOfWork, team_id: int) -> TeamPublic:
    async with uow.read() as session:
        return await views.team_public(session, await get_team(session, team_id))


async def update_team(
    uow: UnitOfWork, actor: str, team_id: int, body: TeamUpdate, policy: BookingPolicy
) -> TeamPublic:
    async with uow.begin() as session:
        await meetings.serialise(session)
        team = await get_team(session, team_id, lock=True)
        changes = body.model_dump(exclude_unset=True)
        for field, value in changes.items():
            if value is None:
                raise InvalidRequestError(field, "must not be null")
            setattr(team, field, [s.value for s in value] if field == "quorum_specialties" else value)
        await session.flush()
        if {"timezone", "horizon_weeks"} & changes.keys():
            for series in await list_series(session, team_id):
                await meetings.resync_series(session, series, team, policy, actor)
        if "quorum_specialties" in changes:
            await meetings.recheck_quorum(session, policy, actor, team_id=team_id)
        audit(session, actor, "update", "team", team_id, **{k: str(v) for k, v in changes.items()})
        return await views.team_public(session, team)


async def put_member(
    uow: UnitOfWork, actor: str, team_id: int, clinician_id: int, body: MemberPut
) -> TeamPublic:
    async with uow.begin() as session:
        team = await get_team(session, team_id)
        clinician = (
            None if not 1 <= clinician_id <= MAX_ID else await session.get(ClinicianRecord, clinician_id)
        )
        if clinician is None:
            raise InvalidRequestError("clinician_id", f"{clinician_id} is not a clinician of the scheduler")
        member = await session.get(TeamMemberRecord, (team_id, clinician_id), with_for_update=True)
        if member is None:
            member = TeamMemberRecord(team_id=team_id, clinician_id=clinician_id, role=body.role)
            session.add(member)
        else:
            member.role = body.role
        await session.flush()
        audit(session, actor, "put_member", "team", team_id, clinician_id=clinician_id, role=body.role)
        return await views.team_public(session, team)


async def delete_member(
    uow: UnitOfWork, actor: str, team_id: int, clinician_id: int, policy: BookingPolicy
) -> None:
    """Items of the team's meetings that lose their quorum without the member are deferred (quorum_lost)."""
    async with uow.begin() as session:
        await meetings.serialise(session)
        await get_team(session, team_id)
        member = (
            None
            if not 1 <= clinician_id <= MAX_ID
            else await session.get(TeamMemberRecord, (team_id, clinician_id))
        )
        if member is None:
            raise NotFoundError(f"clinician {clinician_id} is not a member of team {team_id}")
        await session.delete(member)
        await session.flush()
        await meetings.recheck_quorum(session, policy, actor, team_id=team_id)
        audit(session, actor, "delete_member", "team", team_id, clinician_id=clinician_id)


async def list_series(session: AsyncSession, team_id: int) -> list[SeriesRecord]:
    return list(
        (
            await session.exec(
                select(SeriesRecord)
                .where(col(SeriesRecord.team_id) == team_id)
                .order_by(col(SeriesRecord.series_id))
            )
        ).all()
    )


async def series_of_team(uow: UnitOfWork, team_id: int) -> list[SeriesPublic]:
    async with uow.read() as session:
        await get_team(session, team_id)
        return [views.series_public(s) for s in await list_series(session, team_id)]


async def get_series(session: AsyncSession, series_id: int, *, lock: bool = False) -> SeriesRecord:
    series = (
        None
        if not 1 <= series_id <= MAX_ID
        else await session.get(SeriesRecord, series_id, with_for_update=lock)
    )
    if series is None:
        raise NotFoundError(f"no series {series_id}")
    return series


async def create_series(
    uow: UnitOfWork, actor: str, team_id: int, body: SeriesCreate, policy: BookingPolicy
) -> SeriesPublic:
    """The series, whose meetings are made for the team's horizon."""
    async with uow.begin() as session:
        team = await get_team(session, team_id)
        series = SeriesRecord(
            team_id=team_id,
            weekday=body.weekday,
            start_local=parse_local_time(body.start_local),
            duration_minutes=body.duration_minutes,
            capacity_minutes=body.capacity_minutes or body.duration_minutes,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
        )
        session.add(series)
        await session.flush()
        created, _ = await meetings.resync_series(session, series, team, policy, actor)
        audit(session, actor, "create", "series", series.series_id, team_id=team_id, meetings=created)
        return views.series_public(series)


async def update_series(
    uow: UnitOfWork, actor: str, series_id: int, body: SeriesUpdate, policy: BookingPolicy
) -> SeriesPublic:
    async with uow.begin() as session:
        series = await get_series(session, series_id, lock=True)
        if not series.active:
            raise ConflictError("the series has ended; a new series makes new meetings")
        changes = body.model_dump(exclude_unset=True)
        for field, value in changes.items():
            if value is None and field != "ends_on":
                raise InvalidRequestError(field, "must not be null")
            setattr(series, field, parse_local_time(value) if field == "start_local" else value)
        if series.ends_on is not None and series.ends_on < series.starts_on:
            raise InvalidRequestError("ends_on", "must not be before starts_on")
        team = await get_team(session, series.team_id)
        try:
            async with session.begin_nested():
                created, cancelled = await meetings.resync_series(session, series, team, policy, actor)
        except IntegrityError:
            raise ConflictError("capacity_minutes: below the minutes already listed on a meeting") from None
        audit(session, actor, "update", "series", series_id, created=created, cancelled=cancelled)
        return views.series_public(series)


async def delete_series(uow: UnitOfWork, actor: str, series_id: int, policy: BookingPolicy) -> int:
    """Ends the series: its future meetings are cancelled (their items deferred). Returns how many."""
    async with uow.begin() as session:
        series = await get_series(session, series_id, lock=True)
        series.active = False
        team = await get_team(session, series.team_id)
        _, cancelled = await meetings.resync_series(session, series, team, policy, actor)
        audit(session, actor, "delete", "series", series_id, cancelled=cancelled)
        return cancelled
