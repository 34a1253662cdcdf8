"""Building blocks for the scheduler's tests on a real database: clinicians with availability, recommendation
events, and the booking events the service wrote to its outbox."""

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import Range
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler import placing, service
from services.scheduler.adapters.tables import (
    AgendaItemRecord,
    AvailabilityWindowRecord,
    BookingParticipantRecord,
    BookingRecord,
    ClinicianRecord,
    MeetingRecord,
    TeamMemberRecord,
    TeamRecord,
    outbox,
)
from services.scheduler.domain import align_up
from services.scheduler.service import BookingPolicy
from shared.contracts.case import CaseSubmission
from shared.contracts.codes import Specialty, Urgency
from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.recommendation import Recommendation
from shared.db.engine import SessionFactory

TOPIC = "test.mdt-bookings"
POLICY = BookingPolicy(duration=timedelta(minutes=30), booking_topic=TOPIC)
HOURS = {Urgency.emergency: 24, Urgency.urgent: 72, Urgency.routine: 336}
PANEL = (Specialty.radiation_oncology, Specialty.radiology, Specialty.surgery)


def next_hour(offset_hours: float = 1) -> datetime:
    """A grid-aligned start `offset_hours` from now (rounded up to the quarter hour)."""
    return align_up(datetime.now(UTC) + timedelta(hours=offset_hours))


async def add_clinician(
    session: AsyncSession,
    specialty: Specialty,
    windows: Iterable[tuple[datetime, datetime]] = (),
    *,
    name: str | None = None,
    active: bool = True,
) -> int:
    clinician = ClinicianRecord(
        name=name or f"Dr {specialty.value}", specialty=specialty.value, active=active
    )
    session.add(clinician)
    await session.flush()
    assert clinician.id is not None
    for start, end in windows:
        session.add(AvailabilityWindowRecord(clinician_id=clinician.id, start=start, end=end))
    await session.flush()
    return clinician.id


async def staff(
    session: AsyncSession,
    specialties: Sequence[Specialty],
    per_specialty: int,
    start: datetime,
    hours: float,
) -> dict[Specialty, list[int]]:
    """`per_specialty` clinicians of each specialty, all free over `[start, start + hours)`."""
    window = (start, start + timedelta(hours=hours))
    return {
        specialty: [
            await add_clinician(session, specialty, [window], name=f"Dr {n} {specialty.value}")
            for n in range(per_specialty)
        ]
        for specialty in specialties
    }


def recommendation(
    case_id: uuid.UUID,
    *,
    version: int = 1,
    urgency: Urgency = Urgency.urgent,
    specialties: Iterable[Specialty] = PANEL,
    evaluated_at: datetime | None = None,
    hours: int | None = None,
) -> EventEnvelope:
    """A recommendation.issued event as eligibility publishes it (only the fields the scheduler reads)."""
    return EventEnvelope(
        event_type=EventType.recommendation_issued,
        case_id=case_id,
        case_version=version,
        payload={
            "case_id": str(case_id),
            "case_version": version,
            "ruleset_version": "test",
            "evaluated_at": (evaluated_at or datetime.now(UTC)).isoformat(),
            "urgency": urgency.value,
            "book_within_hours": hours or HOURS[urgency],
            "required_specialties": sorted(s.value for s in specialties),
            "therapies": [],
            "scores": {},
            "alerts": [],
        },
    )


async def on_recommendation(session: AsyncSession, envelope: EventEnvelope, policy: BookingPolicy) -> None:
    """placing.on_recommendation as the scheduler's consumer calls it: with the payload parsed."""
    await placing.on_recommendation(
        session, envelope, Recommendation.model_validate(envelope.payload), policy
    )


async def book_recommendation(session: AsyncSession, envelope: EventEnvelope, policy: BookingPolicy) -> None:
    await service.book_recommendation(
        session, envelope, Recommendation.model_validate(envelope.payload), policy
    )


async def on_case_changed(session: AsyncSession, envelope: EventEnvelope) -> None:
    await placing.on_case_changed(session, envelope, CaseSubmission.model_validate(envelope.payload))


def withdrawal(case_id: uuid.UUID, version: int = 1) -> EventEnvelope:
    return EventEnvelope(
        event_type=EventType.case_withdrawn,
        case_id=case_id,
        case_version=version,
        payload={"withdrawn_at": datetime.now(UTC).isoformat()},  # as intake sends it
    )


async def open_booking(session: AsyncSession, case_id: uuid.UUID) -> BookingRecord:
    return (
        await session.exec(
            select(BookingRecord).where(
                col(BookingRecord.case_id) == case_id,
                col(BookingRecord.status).in_(["confirmed", "waitlisted"]),
            )
        )
    ).one()


async def participants(session: AsyncSession, booking_id: uuid.UUID) -> list[BookingParticipantRecord]:
    return list(
        (
            await session.exec(
                select(BookingParticipantRecord).where(col(BookingParticipantRecord.booking_id) == booking_id)
            )
        ).all()
    )


async def booking_events(session: AsyncSession, case_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    """(event type, booking payload) of every mdt-bookings event written for the case, in order."""
    rows = await session.execute(
        select(outbox.c.event_type, outbox.c.value)
        .where(outbox.c.key == str(case_id), outbox.c.topic == TOPIC)
        .order_by(outbox.c.id)
    )
    return [(event_type, json.loads(value)["payload"]) for event_type, value in rows.all()]


async def overlapping_active_participations(session: AsyncSession) -> int:
    """Pairs of active participant rows of one clinician whose times overlap: must always be 0."""
    count = await session.scalar(
        text(
            """
            SELECT count(*) FROM scheduler.booking_participants a
            JOIN scheduler.booking_participants b
              ON a.clinician_id = b.clinician_id AND a.booking_id < b.booking_id AND a.during && b.during
            WHERE a.active AND b.active
            """
        )
    )
    return int(count or 0)


def slot(start: datetime, minutes: int = 30) -> Range[datetime]:
    return Range(start, start + timedelta(minutes=minutes))


QUORUM = (Specialty.radiology, Specialty.radiation_oncology, Specialty.surgery)


async def add_team(
    session: AsyncSession,
    members: dict[Specialty, list[int]],
    *,
    code: str = "bone-mets",
    quorum: Sequence[Specialty] = QUORUM,
    cutoff_hours: int = 48,
    cover: Iterable[int] = (),
) -> int:
    """A team whose members are the given clinicians (core, or cover when listed in `cover`)."""
    team = TeamRecord(
        code=code,
        name=code,
        timezone="Europe/London",
        quorum_specialties=sorted(s.value for s in quorum),
        listing_cutoff_hours=cutoff_hours,
    )
    session.add(team)
    await session.flush()
    assert team.team_id is not None
    covers = set(cover)
    for ids in members.values():
        for clinician_id in ids:
            session.add(
                TeamMemberRecord(
                    team_id=team.team_id,
                    clinician_id=clinician_id,
                    role="cover" if clinician_id in covers else "core",
                )
            )
    await session.flush()
    return team.team_id


async def add_meeting(
    session: AsyncSession, team_id: int, start: datetime, *, minutes: int = 90, capacity: int | None = None
) -> uuid.UUID:
    meeting = MeetingRecord(
        team_id=team_id,
        start=start,
        end=start + timedelta(minutes=minutes),
        capacity_minutes=capacity or minutes,
    )
    session.add(meeting)
    await session.flush()
    return meeting.meeting_id


def with_discussion(envelope: EventEnvelope, discussion: str) -> EventEnvelope:
    return envelope.model_copy(update={"payload": {**envelope.payload, "discussion": discussion}})


async def listed_items(session: AsyncSession, meeting_id: uuid.UUID) -> list[AgendaItemRecord]:
    return list(
        (
            await session.exec(
                select(AgendaItemRecord)
                .where(
                    col(AgendaItemRecord.meeting_id) == meeting_id, col(AgendaItemRecord.status) == "listed"
                )
                .order_by(col(AgendaItemRecord.position))
            )
        ).all()
    )


MEETING_PANEL = (*QUORUM, Specialty.palliative_care)


async def clinic(
    sessions: SessionFactory, meetings_at: list[float], *, capacity: int = 90, days: int = 30
) -> list[uuid.UUID]:
    """A team with every MEETING_PANEL specialty, available for `days` days, and meetings `meetings_at`
    hours from now."""
    async with sessions() as session, session.begin():
        members = await staff(session, MEETING_PANEL, 1, next_hour(-1), 24 * days)
        team_id = await add_team(session, members)
        return [await add_meeting(session, team_id, next_hour(h), capacity=capacity) for h in meetings_at]


async def place(sessions: SessionFactory, envelope: EventEnvelope) -> None:
    """A recommendation applied in a transaction of its own."""
    async with sessions() as session, session.begin():
        await on_recommendation(session, envelope, POLICY)
