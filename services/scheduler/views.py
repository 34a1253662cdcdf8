"""What the API and the events show of meetings and meeting placements (meetings.md §1, §4, §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler.adapters import agenda_writes, meeting_reads
from services.scheduler.adapters.meeting_reads import MeetingFacts
from services.scheduler.adapters.tables import AgendaItemRecord, BookingRecord, SeriesRecord, TeamRecord
from services.scheduler.domain.agenda import AgendaEntry, estimated_starts
from services.scheduler.domain.quorum import Attendee, lacking, panel
from services.scheduler.domain.readiness import is_ready
from services.scheduler.meeting_schemas import (
    AgendaItemPublic,
    AttendeePublic,
    MeetingPublic,
    MemberPublic,
    QuorumPublic,
    SeriesPublic,
    TeamPublic,
)
from services.scheduler.placement_state import BookingRow
from shared.contracts.booking import Booking, BookingStatus, Participant, PlacementKind
from shared.contracts.codes import Specialty, Urgency
from shared.db.driver import DriverConnection, driver_connection
from shared.db.unit_of_work import UnitOfWork
from shared.errors import NotFoundError


def entry(row: Any) -> AgendaEntry:
    return AgendaEntry(
        row["item_id"],
        row["mode"],
        row["urgency"],
        row["deadline"],
        row["listed_at"],
        row["minutes"],
        row["moved"],
    )


async def agenda_starts(
    connection: DriverConnection, meeting_id: UUID, start: datetime
) -> dict[UUID, datetime]:
    return estimated_starts(start, [entry(row) for row in await agenda_writes.agenda(connection, meeting_id)])


def participants(attendees: tuple[Attendee, ...]) -> list[Participant]:
    return [
        Participant(clinician_id=a.clinician_id, name=a.name, specialty=Specialty(a.specialty))
        for a in panel(attendees)
    ]


@dataclass(frozen=True)
class Listed:
    """An item its placement has just listed, as the listing wrote it: what its announcement shows of it
    beyond the booking row, without reading it back (listing.list_on)."""

    facts: MeetingFacts  # the meeting, as the placement was decided from
    position: int
    minutes: int
    estimated_start: datetime
    ready: bool


async def meeting_booking_view(
    session: AsyncSession, booking: BookingRow, listed: Listed | None = None
) -> Booking:
    """A placement on a meeting (or one that was, for a waitlisted or cancelled case: then without it).
    `listed`: the item the booking was just listed with, in this transaction (else it is read)."""
    base: dict[str, Any] = {
        "booking_id": booking.booking_id,
        "case_id": booking.case_id,
        "case_version": booking.case_version,
        "status": BookingStatus(booking.status),
        "urgency": Urgency(booking.urgency),
        "deadline": booking.deadline,
        "missing_specialties": [Specialty(s) for s in booking.missing_specialties],
        "partial": False,
        "reason": booking.reason,
        "kind": PlacementKind.meeting,
        "mode": booking.mode,
        "late": booking.late,
        "start": None,
        "end": None,
        "participants": [],
    }
    if booking.item_id is None or booking.meeting_id is None:
        return Booking(**base)
    if booking.status != BookingStatus.confirmed.value:  # cancelled or waitlisted: the item it had, no more
        return Booking(**{**base, "meeting_id": booking.meeting_id, "item_id": booking.item_id})
    if listed is not None:
        return Booking(
            **{
                **base,
                "start": listed.facts.candidate.start,
                "end": listed.facts.end,
                "participants": participants(listed.facts.candidate.attendees),
                "meeting_id": booking.meeting_id,
                "item_id": booking.item_id,
                "team_code": listed.facts.team_code,
                "position": listed.position,
                "minutes": listed.minutes,
                "ready": listed.ready,
                "estimated_start": listed.estimated_start,
            }
        )
    connection = await driver_connection(session)
    facts = await meeting_reads.meeting_facts(connection, booking.meeting_id)
    # positions are renumbered by statements sent to the driver: read the row as it is now
    item = await session.get(AgendaItemRecord, booking.item_id, populate_existing=True)
    if facts is None or item is None:
        return Booking(**base)
    starts = await agenda_starts(connection, facts.candidate.meeting_id, facts.candidate.start)
    return Booking(
        **{
            **base,
            "start": facts.candidate.start,
            "end": facts.end,
            "participants": participants(facts.candidate.attendees),
            "meeting_id": facts.candidate.meeting_id,
            "item_id": item.item_id,
            "team_code": facts.team_code,
            "position": item.position if item.status in ("listed", "discussed") else None,
            "mode": item.mode,
            "minutes": item.minutes,
            "late": item.late,
            "ready": is_ready(item.readiness),
            "estimated_start": starts.get(item.item_id),
        }
    )


def quorum_view(attendees: tuple[Attendee, ...], quorum_specialties: frozenset[str]) -> dict[str, Any]:
    missing = lacking(attendees, quorum_specialties)
    return {"met": not missing, "lacking": missing}


# ---------------------------------------------------------------------------------------------------------
# The coordinators' API (meetings.md §5)


async def team_public(session: AsyncSession, team: TeamRecord) -> TeamPublic:
    from services.scheduler.teams import members_of  # teams.py imports meetings.py, which imports this

    assert team.team_id is not None
    return TeamPublic(
        team_id=team.team_id,
        code=team.code,
        name=team.name,
        timezone=team.timezone,
        quorum_specialties=[Specialty(s) for s in team.quorum_specialties],
        minutes_full=team.minutes_full,
        minutes_standard_of_care=team.minutes_standard_of_care,
        listing_cutoff_hours=team.listing_cutoff_hours,
        horizon_weeks=team.horizon_weeks,
        members=[
            MemberPublic(
                clinician_id=m.clinician_id,
                name=c.name,
                specialty=Specialty(c.specialty),
                role=m.role,
            )
            for m, c in await members_of(session, team.team_id)
        ],
    )


def series_public(series: SeriesRecord) -> SeriesPublic:
    assert series.series_id is not None
    return SeriesPublic(
        series_id=series.series_id,
        team_id=series.team_id,
        weekday=series.weekday,
        start_local=series.start_local.strftime("%H:%M"),
        duration_minutes=series.duration_minutes,
        capacity_minutes=series.capacity_minutes,
        starts_on=series.starts_on,
        ends_on=series.ends_on,
        active=series.active,
    )


def meeting_public(facts: meeting_reads.MeetingFacts) -> MeetingPublic:
    m = facts.candidate
    return MeetingPublic(
        meeting_id=m.meeting_id,
        team_id=m.team_id,
        team_code=facts.team_code,
        series_id=facts.series_id,
        start=m.start,
        end=facts.end,
        status=m.status,
        capacity_minutes=m.capacity_minutes,
        used_minutes=m.used_minutes,
        attendance=[
            AttendeePublic(
                clinician_id=a.clinician_id,
                name=a.name,
                specialty=Specialty(a.specialty),
                role=a.role.value,
                response=a.response.value,
            )
            for a in m.attendees
        ],
        quorum=QuorumPublic(**quorum_view(m.attendees, m.quorum_specialties)),
    )


async def meeting(session: AsyncSession, meeting_id: UUID) -> MeetingPublic:
    facts = await meeting_reads.meeting_facts(await driver_connection(session), meeting_id)
    if facts is None:
        raise NotFoundError(f"no meeting {meeting_id}")
    return meeting_public(facts)


async def find_meeting(uow: UnitOfWork, meeting_id: UUID) -> MeetingPublic:
    async with uow.read() as session:
        return await meeting(session, meeting_id)


async def find_meetings(
    uow: UnitOfWork,
    team_id: int | None,
    since: datetime | None,
    until: datetime | None,
    status: str | None,
    limit: int,
) -> list[MeetingPublic]:
    async with uow.read() as session:
        return await meetings(session, team_id, since, until, status, limit)


async def find_agenda(uow: UnitOfWork, meeting_id: UUID, *, every_status: bool) -> list[AgendaItemPublic]:
    async with uow.read() as session:
        return await agenda(session, meeting_id, every_status=every_status)


_MEETING_IDS = """
SELECT meeting_id FROM scheduler.meetings
WHERE ($1::int IS NULL OR team_id = $1) AND ($2::timestamptz IS NULL OR start >= $2)
  AND ($3::timestamptz IS NULL OR start < $3) AND ($4::text IS NULL OR status = $4)
ORDER BY start, team_id LIMIT $5
"""


async def meetings(
    session: AsyncSession,
    team_id: int | None,
    since: datetime | None,
    until: datetime | None,
    status: str | None,
    limit: int,
) -> list[MeetingPublic]:
    connection = await driver_connection(session)
    ids = [
        row["meeting_id"]
        for row in await connection.fetch(_MEETING_IDS, team_id, since, until, status, limit)
    ]
    return [meeting_public(f) for f in await meeting_reads.meetings_by_id(connection, ids)]


async def agenda(
    session: AsyncSession, meeting_id: UUID, *, every_status: bool = False
) -> list[AgendaItemPublic]:
    """The items in agenda order (listed and discussed; with `every_status`, deferred and withdrawn after)."""
    connection = await driver_connection(session)
    facts = await meeting_reads.meeting_facts(connection, meeting_id)
    if facts is None:
        raise NotFoundError(f"no meeting {meeting_id}")
    starts = await agenda_starts(connection, meeting_id, facts.candidate.start)
    statuses = ["listed", "discussed"] + (["deferred", "withdrawn"] if every_status else [])
    items = (
        await session.exec(
            select(AgendaItemRecord)
            .where(col(AgendaItemRecord.meeting_id) == meeting_id, col(AgendaItemRecord.status).in_(statuses))
            .order_by(
                col(AgendaItemRecord.status).in_(["deferred", "withdrawn"]), col(AgendaItemRecord.position)
            )
            .execution_options(populate_existing=True)  # positions are renumbered by driver statements
        )
    ).all()
    result = []
    for item in items:
        booking = await session.get(BookingRecord, item.booking_id)
        result.append(
            AgendaItemPublic(
                item_id=item.item_id,
                meeting_id=item.meeting_id,
                booking_id=item.booking_id,
                case_id=item.case_id,
                case_version=item.case_version,
                mode=item.mode,
                minutes=item.minutes,
                position=item.position,
                urgency=item.urgency,
                deadline=item.deadline,
                required_specialties=[Specialty(s) for s in item.required_specialties],
                readiness=item.readiness,
                ready=is_ready(item.readiness),
                status=item.status,
                late=item.late,
                reason=item.reason,
                estimated_start=starts.get(item.item_id),
                recommendation=dict(booking.verdicts) if booking is not None else {},
            )
        )
    return result


class WorklistKind(StrEnum):
    waitlisted = "waitlisted"
    late = "late"
    not_ready = "not_ready"
    deadline_at_risk = "deadline_at_risk"


_WORKLIST = {
    # no place
    WorklistKind.waitlisted: "b.status = 'waitlisted'",
    # listed on a meeting after its deadline
    WorklistKind.late: "b.status = 'confirmed' AND b.kind = 'meeting' AND b.late",
    # listed, not ready, within 72 h of its meeting
    WorklistKind.not_ready: """b.status = 'confirmed' AND b.kind = 'meeting' AND EXISTS (
        SELECT FROM scheduler.agenda_items i JOIN scheduler.meetings m USING (meeting_id)
        WHERE i.item_id = b.item_id AND i.status = 'listed' AND m.start <= $1::timestamptz + interval '72 hours'
          AND EXISTS (SELECT FROM jsonb_each(CASE WHEN i.readiness = '{}' THEN
                      '{"imaging": null, "histology": null}'::jsonb ELSE i.readiness END) AS r(k, v)
                      WHERE v <> 'true'::jsonb))""",
    # no place, deadline within 24 h
    WorklistKind.deadline_at_risk: "b.status = 'waitlisted' AND b.deadline <= $1::timestamptz + interval '24 hours'",
}


async def worklist(
    session: AsyncSession, kind: WorklistKind, now: datetime, limit: int = 500
) -> list[BookingRecord]:
    """Most urgent first, then by deadline (meetings.md §5)."""
    connection = await driver_connection(session)
    rows = await connection.fetch(
        f"""SELECT b.booking_id FROM scheduler.bookings b WHERE $1::timestamptz IS NOT NULL AND {_WORKLIST[kind]}
            ORDER BY CASE b.urgency WHEN 'emergency' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END, b.deadline,
                     b.created_at
            LIMIT $2""",
        now,
        limit,
    )
    result = []
    for row in rows:
        booking = await session.get(BookingRecord, row["booking_id"])
        if booking is not None:
            result.append(booking)
    return result


async def meetings_without_quorum(session: AsyncSession, now: datetime, within: timedelta) -> int:
    """Scheduled or locked meetings starting in [now, now + within) whose team's quorum is not met."""
    found = await meetings(session, None, now, now + within, None, limit=500)
    return sum(1 for m in found if m.status in ("scheduled", "locked") and not m.quorum.met)
