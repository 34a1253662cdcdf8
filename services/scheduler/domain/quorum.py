"""Who is expected at a meeting and whether they make a quorum (meetings.md §1).

A member is `expected` when their availability windows cover the whole meeting and nobody recorded their
absence, `declined` once an absence is recorded, and `unavailable` otherwise. A meeting has a quorum for a
set of specialties when at least one expected attendee is of each. A cover member counts only for a
specialty with no expected core member: the panel shown for a case takes core members first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    core = "core"
    cover = "cover"


class Response(StrEnum):
    expected = "expected"
    declined = "declined"
    unavailable = "unavailable"


@dataclass(frozen=True)
class Attendee:
    clinician_id: int
    specialty: str
    role: Role
    response: Response
    name: str = ""

    @property
    def expected(self) -> bool:
        return self.response == Response.expected


@dataclass(frozen=True)
class Member:
    clinician_id: int
    specialty: str
    role: Role
    name: str = ""
    active: bool = True


def windows_cover(windows: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Whether the union of `[a, b)` windows covers `[start, end)` (windows may touch or overlap)."""
    reached = start
    for a, b in sorted(windows):
        if a > reached:
            break
        reached = max(reached, b)
        if reached >= end:
            return True
    return reached >= end


def attendance(
    members: Iterable[Member],
    windows: Mapping[int, Sequence[tuple[datetime, datetime]]],
    absent: Iterable[int],
    start: datetime,
    end: datetime,
) -> list[Attendee]:
    """Every member's response for the meeting `[start, end)`, ordered by specialty, role, clinician id."""
    absent_ids = set(absent)
    result = []
    for m in members:
        if m.clinician_id in absent_ids:
            response = Response.declined
        elif m.active and windows_cover(windows.get(m.clinician_id, ()), start, end):
            response = Response.expected
        else:
            response = Response.unavailable
        result.append(Attendee(m.clinician_id, m.specialty, m.role, response, m.name))
    return sorted(result, key=lambda a: (a.specialty, a.role != Role.core, a.clinician_id))


def panel(attendees: Iterable[Attendee], specialties: Iterable[str] | None = None) -> list[Attendee]:
    """The expected attendees who count: core members, and cover members of specialties with no expected
    core member. With `specialties`, only those of these specialties."""
    expected = [a for a in attendees if a.expected]
    with_core = {a.specialty for a in expected if a.role == Role.core}
    wanted = None if specialties is None else set(specialties)
    return sorted(
        (
            a
            for a in expected
            if (a.role == Role.core or a.specialty not in with_core)
            and (wanted is None or a.specialty in wanted)
        ),
        key=lambda a: (a.specialty, a.role != Role.core, a.clinician_id),
    )


def lacking(attendees: Iterable[Attendee], needed: Iterable[str]) -> list[str]:
    """The specialties of `needed` with no expected attendee who counts, sorted."""
    covered = {a.specialty for a in panel(attendees)}
    return sorted(set(needed) - covered)
