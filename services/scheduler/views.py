"""What the API and the events show of meetings and meeting placements (meetings.md §1, §4, §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler.adapters import agenda_writes, meeting_reads
from services.scheduler.adapters.tables import AgendaItemRecord, BookingRecord
from services.scheduler.domain.agenda import AgendaEntry, estimated_starts
from services.scheduler.domain.quorum import Attendee, lacking, panel
from services.scheduler.domain.readiness import is_ready
from shared.contracts.booking import Booking, BookingStatus, Participant, PlacementKind
from shared.contracts.codes import Specialty, Urgency
from shared.db.driver import driver_connection


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


async def agenda_starts(connection: Any, meeting_id: UUID, start: datetime) -> dict[UUID, datetime]:
    return estimated_starts(start, [entry(row) for row in await agenda_writes.agenda(connection, meeting_id)])


def participants(attendees: tuple[Attendee, ...]) -> list[Participant]:
    return [
        Participant(clinician_id=a.clinician_id, name=a.name, specialty=Specialty(a.specialty))
        for a in panel(attendees)
    ]


async def meeting_booking_view(session: AsyncSession, booking: BookingRecord) -> Booking:
    """A placement on a meeting (or one that was, for a waitlisted or cancelled case: then without it)."""
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
    connection = await driver_connection(session)
    facts = await meeting_reads.meeting_facts(connection, booking.meeting_id)
    item = await session.get(AgendaItemRecord, booking.item_id)
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
