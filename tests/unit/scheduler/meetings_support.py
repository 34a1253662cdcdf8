"""Candidate meetings and attendees for the placement tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from services.scheduler.domain.placement import CandidateMeeting
from services.scheduler.domain.quorum import Attendee, Response, Role

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
QUORUM = frozenset({"radiology", "radiation_oncology", "surgery"})
ALL = ("radiology", "radiation_oncology", "surgery", "palliative_care", "medical_oncology")


def attendees(specialties: Iterable[str] = ALL, *, role: Role = Role.core) -> tuple[Attendee, ...]:
    return tuple(Attendee(n, s, role, Response.expected) for n, s in enumerate(specialties, start=1))


def meeting(
    hours_from_now: float,
    *,
    team_id: int = 1,
    status: str = "scheduled",
    capacity: int = 60,
    used: int = 0,
    present: Iterable[str] = ALL,
    quorum: frozenset[str] = QUORUM,
    cutoff_hours: int = 48,
) -> CandidateMeeting:
    return CandidateMeeting(
        meeting_id=uuid.uuid4(),
        team_id=team_id,
        start=NOW + timedelta(hours=hours_from_now),
        status=status,
        capacity_minutes=capacity,
        used_minutes=used,
        attendees=attendees(present),
        quorum_specialties=quorum,
        listing_cutoff=timedelta(hours=cutoff_hours),
        horizon_end=NOW + timedelta(weeks=12),
    )
