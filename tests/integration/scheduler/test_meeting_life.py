"""A meeting's life on a real database (meetings.md §3): lock (by hand and at the cut-off, once with two
schedulers, catching up after downtime), finish, cancel, absence; each deferral places the case again."""

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from services.scheduler import coordination, meetings, service, teams
from services.scheduler.adapters.tables import (
    AgendaItemRecord,
    AuditRecord,
    MeetingRecord,
    SeriesRecord,
    TeamRecord,
)
from services.scheduler.coordination import ConflictError
from services.scheduler.timer import MeetingClock
from shared.contracts.codes import Specialty, Urgency
from shared.contracts.events import EventEnvelope, EventType
from shared.db.engine import SessionFactory
from shared.db.unit_of_work import SessionUnitOfWork
from tests.integration.scheduler.support import (
    POLICY,
    QUORUM,
    add_meeting,
    add_team,
    booking_events,
    listed_items,
    next_hour,
    on_case_changed,
    on_recommendation,
    open_booking,
    recommendation,
    staff,
    withdrawal,
)
from tests.support.cases import a_case

pytestmark = pytest.mark.integration
PANEL = (*QUORUM, Specialty.palliative_care)


async def clinic(
    sessions: SessionFactory, hours: list[float]
) -> tuple[dict[Specialty, list[int]], list[uuid.UUID]]:
    async with sessions() as session, session.begin():
        members = await staff(session, PANEL, 1, next_hour(-1), 24 * 30)
        team_id = await add_team(session, members)
        return members, [await add_meeting(session, team_id, next_hour(h)) for h in hours]


async def routine_case(
    sessions: SessionFactory, *, ready: bool, specialties: tuple[Specialty, ...] = (Specialty.surgery,)
) -> uuid.UUID:
    case_id = uuid.uuid4()
    diagnostics = {"imaging_reviewed": True, "histology_confirmed": True} if ready else {}
    async with sessions() as session, session.begin():
        await on_case_changed(
            session,
            EventEnvelope(
                event_type=EventType.case_submitted,
                case_id=case_id,
                case_version=1,
                payload=a_case(lesions=[{"id": "a", "site": "femur"}], diagnostics=diagnostics),
            ),
        )
        await on_recommendation(
            session, recommendation(case_id, urgency=Urgency.routine, specialties=specialties), POLICY
        )
    return case_id


async def status(sessions: SessionFactory, meeting_id: uuid.UUID) -> str:
    async with sessions() as session:
        meeting = await session.get(MeetingRecord, meeting_id)
        assert meeting is not None
        return meeting.status


async def test_lock_defers_a_case_that_is_not_ready_to_the_next_meeting(sessions: SessionFactory) -> None:
    _, (tuesday, friday) = await clinic(sessions, [72, 100])
    ready, not_ready = await routine_case(sessions, ready=True), await routine_case(sessions, ready=False)
    async with sessions() as session, session.begin():
        await meetings.lock_meeting(session, tuesday, POLICY, "coordinator")
    async with sessions() as session:
        assert [i.case_id for i in await listed_items(session, tuesday)] == [ready]
        assert (await open_booking(session, not_ready)).meeting_id == friday
        [*_, (event, payload)] = await booking_events(session, not_ready)
        deferred = (
            await session.exec(
                select(AgendaItemRecord).where(
                    col(AgendaItemRecord.case_id) == not_ready, col(AgendaItemRecord.status) == "deferred"
                )
            )
        ).one()
    assert deferred.reason == "not_ready" and deferred.meeting_id == tuesday
    assert event == "booking.rescheduled" and payload["reason"].startswith("not_ready")
    assert payload["meeting_id"] == str(friday)
    assert await status(sessions, tuesday) == "locked"
    # placed again later (a retry), it still never goes back to Tuesday: Tuesday is locked and excluded
    async with sessions() as session, session.begin():
        with pytest.raises(ConflictError):
            await meetings.lock_meeting(session, tuesday, POLICY, "coordinator")


async def test_finish_defers_the_cases_not_reached(sessions: SessionFactory) -> None:
    _, (first, second) = await clinic(sessions, [72, 100])
    case_id = await routine_case(sessions, ready=True)
    async with sessions() as session, session.begin():
        await meetings.finish_meeting(session, first, POLICY, "coordinator")
    async with sessions() as session:
        assert (await open_booking(session, case_id)).meeting_id == second
        [*_, (event, payload)] = await booking_events(session, case_id)
    assert event == "booking.rescheduled" and payload["reason"].startswith("not_reached")
    async with sessions() as session, session.begin():
        with pytest.raises(ConflictError, match="finished"):
            await meetings.cancel_meeting(session, first, POLICY, "coordinator")


async def test_a_cancelled_meetings_cases_are_placed_again_or_waitlisted(sessions: SessionFactory) -> None:
    _, (first, second) = await clinic(sessions, [72, 100])
    case_id = await routine_case(sessions, ready=True)
    async with sessions() as session, session.begin():
        await meetings.cancel_meeting(session, first, POLICY, "coordinator")
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        [*_, (event, payload)] = await booking_events(session, case_id)
        used = (await session.get(MeetingRecord, first)).used_minutes  # type: ignore[union-attr]
    assert (booking.meeting_id, used) == (second, 0)
    assert event == "booking.rescheduled" and payload["reason"].startswith("meeting_cancelled")
    async with sessions() as session, session.begin():
        await meetings.cancel_meeting(session, second, POLICY, "coordinator")
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        [*_, (event, payload)] = await booking_events(session, case_id)
    assert booking.status == "waitlisted"  # no meeting left
    assert event == "booking.waitlisted" and payload["reason"].startswith("meeting_cancelled")


async def test_an_absence_defers_the_items_that_lose_their_quorum(sessions: SessionFactory) -> None:
    members, (first, second) = await clinic(sessions, [72, 100])
    palliative = await routine_case(sessions, ready=True, specialties=(Specialty.palliative_care,))
    surgical = await routine_case(sessions, ready=True)
    await meetings.record_absence(
        SessionUnitOfWork(sessions), first, members[Specialty.palliative_care][0], POLICY, "coordinator"
    )
    async with sessions() as session:
        assert [i.case_id for i in await listed_items(session, first)] == [surgical]
        assert (await open_booking(session, palliative)).meeting_id == second
        [*_, (event, payload)] = await booking_events(session, palliative)
    assert event == "booking.rescheduled" and payload["reason"].startswith("quorum_lost")


async def test_two_schedulers_lock_each_due_meeting_once_and_catch_up_after_downtime(
    sessions: SessionFactory,
) -> None:
    _, ids = await clinic(sessions, [50, 60, 70, 300])
    async with sessions() as session:
        starts = [(await session.get(MeetingRecord, m)).start for m in ids]  # type: ignore[union-attr]
    later = starts[2] - timedelta(hours=47)  # the first three cut-offs have passed: a scheduler was down

    async def instance() -> list[uuid.UUID]:
        async with sessions() as session, session.begin():
            return await meetings.lock_due(session, POLICY, later)

    a, b = await asyncio.gather(instance(), instance())
    assert sorted(a + b) == sorted(ids[:3]) and not (set(a) & set(b))
    assert [await status(sessions, m) for m in ids] == ["locked", "locked", "locked", "scheduled"]
    async with sessions() as session:
        locks = await session.scalar(
            select(func.count()).select_from(AuditRecord).where(col(AuditRecord.action) == "lock")
        )
    assert locks == 3


async def test_a_weekly_series_makes_its_meetings_across_the_clocks_change(sessions: SessionFactory) -> None:
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    async with sessions() as session, session.begin():
        team_id = await add_team(session, {})
        team = await session.get(TeamRecord, team_id)
        assert team is not None
        team.horizon_weeks = 2
        series = SeriesRecord(
            team_id=team_id,
            weekday=2,
            start_local=time(8),
            duration_minutes=90,
            capacity_minutes=90,
            starts_on=date(2026, 1, 1),
        )
        session.add(series)
        await session.flush()
        assert await meetings.materialise_series(session, series, team, now) == 2
        assert await meetings.materialise_series(session, series, team, now) == 0  # idempotent
    async with sessions() as session:
        found = (await session.exec(select(MeetingRecord).order_by(col(MeetingRecord.start)))).all()
    assert [m.start for m in found] == [
        datetime(2026, 3, 24, 8, tzinfo=UTC),
        datetime(2026, 3, 31, 7, tzinfo=UTC),  # British Summer Time from 29 March
    ]
    assert all(m.end - m.start == timedelta(minutes=90) for m in found)


async def test_a_withdrawn_window_or_a_removed_member_defers_what_loses_its_quorum(
    sessions: SessionFactory,
) -> None:
    members, (first, second) = await clinic(sessions, [72, 100])
    palliative = await routine_case(sessions, ready=True, specialties=(Specialty.palliative_care,))
    surgical = await routine_case(sessions, ready=True)
    [palliative_doctor] = members[Specialty.palliative_care]
    uow = SessionUnitOfWork(sessions)
    [window] = await coordination.list_windows(uow, palliative_doctor)
    await coordination.delete_window(uow, "coordinator", palliative_doctor, window.id or 0, POLICY)
    async with sessions() as session:
        assert [i.case_id for i in await listed_items(session, first)] == [surgical]
        assert (await open_booking(session, palliative)).status == "waitlisted"  # nobody at any meeting
        [*_, (event, payload)] = await booking_events(session, palliative)
    assert event == "booking.waitlisted" and payload["reason"].startswith("quorum_lost")
    [surgeon] = members[Specialty.surgery]
    async with sessions() as session:
        team_id = (await session.get(MeetingRecord, first)).team_id  # type: ignore[union-attr]
    await teams.delete_member(uow, "coordinator", team_id, surgeon, POLICY)
    async with sessions() as session:
        assert await listed_items(session, first) == [] and await listed_items(session, second) == []
        assert (await open_booking(session, surgical)).status == "waitlisted"


async def test_a_later_case_version_updates_the_listed_items_readiness(sessions: SessionFactory) -> None:
    _, [meeting] = await clinic(sessions, [72])
    case_id = await routine_case(sessions, ready=True)

    async def case_event(version: int, lesions: list[dict[str, str]], diagnostics: dict[str, bool]) -> None:
        async with sessions() as session, session.begin():
            await on_case_changed(
                session,
                EventEnvelope(
                    event_type=EventType.case_updated,
                    case_id=case_id,
                    case_version=version,
                    payload=a_case(lesions=lesions, diagnostics=diagnostics),
                ),
            )

    spine = [{"id": "a", "site": "spine", "spine_level": "T4"}]
    await case_event(2, spine, {"histology_confirmed": False})
    await case_event(1, [{"id": "a", "site": "femur"}], {"histology_confirmed": True})  # late: ignored
    async with sessions() as session:
        [item] = await listed_items(session, meeting)
    assert item.readiness == {"imaging": True, "histology": False, "spine_mri": None}


async def test_the_clock_locks_at_the_cutoff_and_retries_the_worklist_when_capacity_is_freed(
    sessions: SessionFactory,
) -> None:
    _, (soon, later) = await clinic(sessions, [47, 100])  # the first one's cut-off (48 h) has passed
    retries: list[str] = []
    clock = MeetingClock(SessionUnitOfWork(sessions), POLICY, lambda: retries.append("retry"), 30)
    assert await clock.tick() == [soon]
    assert [await status(sessions, m) for m in (soon, later)] == ["locked", "scheduled"]
    assert await clock.tick() == [] and retries == []
    case_id = await routine_case(sessions, ready=True)
    await clock.tick()
    async with sessions() as session, session.begin():
        await service.cancel_for_withdrawal(session, withdrawal(case_id), POLICY)
    await clock.tick()
    assert retries == ["retry"]
