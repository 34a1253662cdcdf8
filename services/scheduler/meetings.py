"""Teams' meetings and their life (meetings.md §1, §3): weekly series made into meetings for the team's
horizon, one-off meetings, lock (by hand, or by itself at the cut-off: see `lock_due`), finish, cancel, and
absences. The rules are domain/meeting.py's; each change here is one transaction with its audit row and its
events (the deferred cases placed again and announced through placing.py).

Every change takes the scheduler's placement lock first (booking_writes.lock_booking_batches), as the
consumer's batches do: a meeting's row and the cases' rows are then always taken in one order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler import placing, service, views
from services.scheduler.adapters import meeting_reads
from services.scheduler.adapters.booking_writes import lock_booking_batches
from services.scheduler.adapters.tables import (
    AbsenceRecord,
    AgendaItemRecord,
    BookingRecord,
    MeetingRecord,
    SeriesRecord,
    TeamMemberRecord,
    TeamRecord,
)
from services.scheduler.coordination import MAX_ID, ConflictError, NotFoundError, audit
from services.scheduler.domain import meeting as life
from services.scheduler.domain.meeting import Deferral, ListedItem, MeetingStateError
from services.scheduler.domain.readiness import is_ready
from services.scheduler.domain.series import horizon, local_today, occurrences
from services.scheduler.listing import take_off
from services.scheduler.meeting_schemas import MeetingPublic
from services.scheduler.service import BookingPolicy
from shared.db.driver import driver_connection
from shared.db.unit_of_work import UnitOfWork
from shared.errors import FieldProblem
from shared.metrics import MDT_MEETING_UTILISATION

SYSTEM_ACTOR = "scheduler"
LOCK_BATCH = 20


class MeetingConflictError(ConflictError):
    """The meeting's status forbids the change (409 naming the status)."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"the meeting is {status}; it cannot be {action}", [FieldProblem("status", status)])
        self.status = status


async def serialise(session: AsyncSession) -> None:
    await lock_booking_batches(await driver_connection(session))


async def locked_meeting(session: AsyncSession, meeting_id: UUID) -> MeetingRecord:
    meeting = (
        await session.exec(
            select(MeetingRecord)
            .where(col(MeetingRecord.meeting_id) == meeting_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if meeting is None:
        raise NotFoundError(f"no meeting {meeting_id}")
    return meeting


async def listed_items(session: AsyncSession, meeting_id: UUID) -> list[AgendaItemRecord]:
    return list(
        (
            await session.exec(
                select(AgendaItemRecord)
                .where(
                    col(AgendaItemRecord.meeting_id) == meeting_id, col(AgendaItemRecord.status) == "listed"
                )
                .order_by(col(AgendaItemRecord.position))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).all()
    )


def _as_listed(items: list[AgendaItemRecord]) -> list[ListedItem]:
    return [ListedItem(i.item_id, is_ready(i.readiness), frozenset(i.required_specialties)) for i in items]


async def defer(
    session: AsyncSession, deferrals: list[Deferral], policy: BookingPolicy, now: datetime
) -> list[UUID]:
    """Each deferred item leaves its agenda and its case is placed again (announced with the reason).
    Returns the cases."""
    cases = []
    for deferral in deferrals:
        item = await session.get(AgendaItemRecord, deferral.item_id)
        assert item is not None
        booking = await session.get(BookingRecord, item.booking_id, with_for_update=True)
        if booking is None or booking.item_id != item.item_id:
            continue
        moved = await take_off(session, booking, status="deferred", reason=deferral.reason.value, now=now)
        await placing.place_again(session, booking, policy, reason=deferral.reason.value, now=now)
        await placing.announce_shifted(
            session, policy, [m for m in moved if m not in {d.item_id for d in deferrals}]
        )
        cases.append(booking.case_id)
    return cases


async def _transition(
    session: AsyncSession,
    meeting_id: UUID,
    action: str,
    policy: BookingPolicy,
    actor: str,
    now: datetime,
) -> MeetingRecord:
    await serialise(session)
    meeting = await locked_meeting(session, meeting_id)
    items = await listed_items(session, meeting_id)
    transition = {"lock": life.lock, "finish": life.finish, "cancel": life.cancel}[action]
    try:
        status, deferrals = transition(meeting.status, _as_listed(items))
    except MeetingStateError as error:
        raise MeetingConflictError(error.status, error.action) from None
    meeting.status = status.value
    meeting.updated_at = now
    if action == "lock":
        meeting.locked_at = now
    await session.flush()
    cases = await defer(session, deferrals, policy, now)
    audit(session, actor, action, "meeting", meeting_id, deferred=[str(c) for c in cases])
    return meeting


async def lock_meeting(
    session: AsyncSession, meeting_id: UUID, policy: BookingPolicy, actor: str, now: datetime | None = None
) -> MeetingRecord:
    """Not-ready items are deferred (not_ready) and placed again, never on this meeting."""
    return await _transition(session, meeting_id, "lock", policy, actor, now or service.now_utc())


async def finish_meeting(
    session: AsyncSession, meeting_id: UUID, policy: BookingPolicy, actor: str
) -> MeetingRecord:
    """Items still listed are deferred (not_reached) and placed again."""
    meeting = await _transition(session, meeting_id, "finish", policy, actor, service.now_utc())
    used, capacity = (
        await session.execute(
            text("SELECT used_minutes, capacity_minutes FROM scheduler.meetings WHERE meeting_id = :id"),
            {"id": meeting_id},
        )
    ).one()
    MDT_MEETING_UTILISATION.observe(used / capacity)  # the discussed items' minutes: the rest were deferred
    return meeting


async def cancel_meeting(
    session: AsyncSession, meeting_id: UUID, policy: BookingPolicy, actor: str
) -> MeetingRecord:
    """Items are deferred (meeting_cancelled) and placed again."""
    return await _transition(session, meeting_id, "cancel", policy, actor, service.now_utc())


async def change_status(
    uow: UnitOfWork,
    action: Literal["lock", "finish", "cancel"],
    meeting_id: UUID,
    policy: BookingPolicy,
    actor: str,
) -> MeetingPublic:
    """A coordinator's lock, finish or cancel; the meeting as it is after it."""
    run = {"lock": lock_meeting, "finish": finish_meeting, "cancel": cancel_meeting}[action]
    async with uow.begin() as session:
        await run(session, meeting_id, policy, actor)
        return await views.meeting(session, meeting_id)


_DUE = text(
    """
    SELECT m.meeting_id FROM scheduler.meetings m JOIN scheduler.teams t USING (team_id)
    WHERE m.status = 'scheduled' AND m.start - make_interval(hours => t.listing_cutoff_hours) <= :now
    ORDER BY m.start LIMIT :limit FOR UPDATE OF m SKIP LOCKED
    """
)


async def lock_due(session: AsyncSession, policy: BookingPolicy, now: datetime) -> list[UUID]:
    """Locks the meetings whose cut-off has passed (all of them, however long ago: a scheduler that was down
    catches up), up to LOCK_BATCH per call. Whatever the number of schedulers, one locks each meeting: the
    placement lock and the row lock make the others find it locked already."""
    await serialise(session)
    due = [row[0] for row in (await session.execute(_DUE, {"now": now, "limit": LOCK_BATCH})).all()]
    for meeting_id in due:
        await lock_meeting(session, meeting_id, policy, SYSTEM_ACTOR, now)
    return due


async def record_absence(
    uow: UnitOfWork, meeting_id: UUID, clinician_id: int, policy: BookingPolicy, actor: str
) -> MeetingPublic:
    """The member is `declined`; listed items that lose their quorum are deferred (quorum_lost)."""
    async with uow.begin() as session:
        await serialise(session)
        meeting = await locked_meeting(session, meeting_id)
        if meeting.status not in ("scheduled", "locked"):
            raise MeetingConflictError(meeting.status, "changed")
        member = (
            None
            if not 1 <= clinician_id <= MAX_ID
            else await session.get(TeamMemberRecord, (meeting.team_id, clinician_id))
        )
        if member is None:
            raise NotFoundError(f"clinician {clinician_id} is not a member of the meeting's team")
        await session.execute(
            pg_insert(AbsenceRecord)
            .values(meeting_id=meeting_id, clinician_id=clinician_id)
            .on_conflict_do_nothing()
        )
        await session.flush()
        facts = await meeting_reads.meeting_facts(await driver_connection(session), meeting_id)
        assert facts is not None
        items = await listed_items(session, meeting_id)
        deferrals = life.after_absence(
            meeting.status,
            _as_listed(items),
            list(facts.candidate.attendees),
            facts.candidate.quorum_specialties,
        )
        cases = await defer(session, deferrals, policy, service.now_utc())
        audit(
            session,
            actor,
            "absence",
            "meeting",
            meeting_id,
            clinician_id=clinician_id,
            deferred=[str(c) for c in cases],
        )
        return await views.meeting(session, meeting_id)


async def remove_absence(uow: UnitOfWork, meeting_id: UUID, clinician_id: int, actor: str) -> bool:
    """Takes a recorded absence back. Returns whether there was one (deferred items stay where they went)."""
    async with uow.begin() as session:
        await serialise(session)
        meeting = await locked_meeting(session, meeting_id)
        absence = (
            None
            if not 1 <= clinician_id <= MAX_ID
            else await session.get(AbsenceRecord, (meeting_id, clinician_id))
        )
        if absence is None:
            raise NotFoundError(f"no absence of clinician {clinician_id} at meeting {meeting_id}")
        if meeting.status not in ("scheduled", "locked"):
            raise MeetingConflictError(meeting.status, "changed")
        await session.delete(absence)
        audit(session, actor, "absence_removed", "meeting", meeting_id, clinician_id=clinician_id)
        return True


async def materialise_series(
    session: AsyncSession, series: SeriesRecord, team: TeamRecord, now: datetime
) -> int:
    """The series' meetings up to the team's horizon (those that exist are left as they are). Returns how
    many were created."""
    zone = ZoneInfo(team.timezone)
    today = local_today(now, zone)
    created = 0
    if not series.active:
        return 0
    for o in occurrences(
        series.weekday,
        series.start_local,
        series.duration_minutes,
        zone,
        series.starts_on,
        series.ends_on,
        today,
        horizon(today, team.horizon_weeks),
    ):
        if o.start <= now:
            continue
        result = await session.execute(
            pg_insert(MeetingRecord)
            .values(
                meeting_id=uuid4(),
                team_id=team.team_id,
                series_id=series.series_id,
                start=o.start,
                end=o.end,
                status="scheduled",
                capacity_minutes=series.capacity_minutes,
            )
            .on_conflict_do_nothing(constraint="one_meeting_per_series_start")
            .returning(col(MeetingRecord.meeting_id))
        )
        created += len(result.all())
    return created


async def resync_series(
    session: AsyncSession, series: SeriesRecord, team: TeamRecord, policy: BookingPolicy, actor: str
) -> tuple[int, int]:
    """After a series changed or ended: its open future meetings that no longer belong to it are cancelled
    (their items deferred, meeting_cancelled), the missing ones created. Returns (created, cancelled)."""
    now = service.now_utc()
    zone = ZoneInfo(team.timezone)
    today = local_today(now, zone)
    wanted = (
        {
            o.start
            for o in occurrences(
                series.weekday,
                series.start_local,
                series.duration_minutes,
                zone,
                series.starts_on,
                series.ends_on,
                today,
                horizon(today, team.horizon_weeks),
            )
        }
        if series.active
        else set()
    )
    existing = (
        await session.exec(
            select(MeetingRecord).where(
                col(MeetingRecord.series_id) == series.series_id,
                col(MeetingRecord.status).in_(["scheduled", "locked"]),
                col(MeetingRecord.start) > now,
            )
        )
    ).all()
    cancelled = 0
    for meeting in existing:
        if meeting.start not in wanted:
            await _transition(session, meeting.meeting_id, "cancel", policy, actor, now)
            cancelled += 1
        else:
            meeting.end = meeting.start + timedelta(minutes=series.duration_minutes)
            meeting.capacity_minutes = series.capacity_minutes  # the CHECK refuses less than its used minutes
            meeting.updated_at = now
    await session.flush()
    return await materialise_series(session, series, team, now), cancelled


async def materialise_all(session: AsyncSession, now: datetime) -> int:
    """Every active series up to its team's horizon (the timer runs this as days pass)."""
    created = 0
    rows = (await session.exec(select(SeriesRecord, TeamRecord).join(TeamRecord))).all()
    for series, team in rows:
        created += await materialise_series(session, series, team, now)
    return created


async def recheck_quorum(
    session: AsyncSession,
    policy: BookingPolicy,
    actor: str,
    *,
    clinician_id: int | None = None,
    team_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[UUID]:
    """Who is expected changed (a window withdrawn, a clinician made inactive, a member removed, the team's
    quorum changed): the listed items of the open future meetings concerned that lost their quorum are
    deferred (quorum_lost) and placed again, as for an absence. Returns the cases deferred."""
    now = service.now_utc()
    query = select(col(MeetingRecord.meeting_id)).where(
        col(MeetingRecord.status).in_(["scheduled", "locked"]), col(MeetingRecord.start) > now
    )
    if clinician_id is not None:
        query = query.join(
            TeamMemberRecord, col(TeamMemberRecord.team_id) == col(MeetingRecord.team_id)
        ).where(col(TeamMemberRecord.clinician_id) == clinician_id)
    if team_id is not None:
        query = query.where(col(MeetingRecord.team_id) == team_id)
    if since is not None and until is not None:
        query = query.where(col(MeetingRecord.start) < until, col(MeetingRecord.end) > since)
    cases: list[UUID] = []
    for meeting_id in (await session.exec(query.order_by(col(MeetingRecord.start)))).all():
        meeting = await locked_meeting(session, meeting_id)
        items = await listed_items(session, meeting_id)
        if not items:
            continue
        facts = await meeting_reads.meeting_facts(await driver_connection(session), meeting_id)
        assert facts is not None
        deferrals = life.after_absence(
            meeting.status,
            _as_listed(items),
            list(facts.candidate.attendees),
            facts.candidate.quorum_specialties,
        )
        deferred = await defer(session, deferrals, policy, now)
        if deferred:
            audit(session, actor, "quorum_lost", "meeting", meeting_id, deferred=[str(c) for c in deferred])
        cases += deferred
    return cases


_FREE = text(
    """SELECT coalesce(sum(capacity_minutes - used_minutes), 0) FROM scheduler.meetings
       WHERE status IN ('scheduled', 'locked') AND start > :now"""
)


async def free_minutes(session: AsyncSession, now: datetime) -> int:
    """The free minutes of every open meeting to come: when it grows, capacity was freed."""
    return int((await session.execute(_FREE, {"now": now})).scalar_one())
