"""Meetings as the placement decision and the views need them: each with its team's rules, its members'
attendance (availability windows and recorded absences) and its used minutes. Sent straight to the driver:
every placement reads them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

import orjson

from services.scheduler.domain.placement import CandidateMeeting
from services.scheduler.domain.quorum import Attendee, Member, Role, attendance
from shared.db.driver import DriverConnection

# With the calendar version (calendar_cache.py: clinicians, windows, members and absences bump it): the
# attendance computed from what is read after it is kept per meeting for that version, and each row's facts
# for the row as read (the quorum specialties as JSON text, so that the row is a key).
_MEETINGS = """
SELECT m.meeting_id, m.team_id, m.series_id, m.start, m."end", m.status, m.capacity_minutes, m.used_minutes,
       t.code, t.quorum_specialties::text, t.minutes_full, t.minutes_standard_of_care, t.listing_cutoff_hours,
       t.horizon_weeks, (SELECT n FROM scheduler.calendar_version WHERE id = 1) AS calendar_version
FROM scheduler.meetings m JOIN scheduler.teams t USING (team_id)
"""
_OPEN_AFTER = (
    _MEETINGS + "WHERE m.status IN ('scheduled', 'locked') AND m.start > $1 "
    "AND m.start <= $1 + t.horizon_weeks * interval '1 week' "
    "AND ($2::timestamptz IS NULL OR m.start < $2) ORDER BY m.start, m.team_id"
)
_BY_ID = _MEETINGS + "WHERE m.meeting_id = ANY($1::uuid[]) ORDER BY m.start, m.team_id"
_MEMBERS = """
SELECT tm.team_id, tm.clinician_id, tm.role, c.specialty, c.name, c.active
FROM scheduler.team_members tm JOIN scheduler.clinicians c ON c.id = tm.clinician_id
WHERE tm.team_id = ANY($1::int[])
"""
_WINDOWS = """
SELECT clinician_id, start, "end" FROM scheduler.availability_windows
WHERE clinician_id = ANY($1::int[]) AND start < $3 AND "end" > $2
"""
_ABSENCES = (
    "SELECT meeting_id, clinician_id FROM scheduler.meeting_absences WHERE meeting_id = ANY($1::uuid[])"
)


@dataclass(frozen=True)
class MeetingFacts:
    candidate: CandidateMeeting
    team_code: str
    series_id: int | None
    end: datetime


def _loads(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


class AttendanceCache:
    """Each meeting's attendance for one calendar version: what every placement would otherwise compute
    again from every member's windows. A new version empties it."""

    MAX_MEETINGS = 20_000

    def __init__(self) -> None:
        self._version: int | None = None
        self._by_meeting: dict[tuple[UUID, datetime, datetime], tuple[Attendee, ...]] = {}

    def get(self, version: int, key: tuple[UUID, datetime, datetime]) -> tuple[Attendee, ...] | None:
        return self._by_meeting.get(key) if version == self._version else None

    def put(self, version: int, found: dict[tuple[UUID, datetime, datetime], tuple[Attendee, ...]]) -> None:
        if version != self._version or len(self._by_meeting) > self.MAX_MEETINGS:
            self._version, self._by_meeting = version, {}
        self._by_meeting.update(found)


ATTENDANCE = AttendanceCache()


class FactsCache:
    """Each meeting row's facts (its team's rules, attendance, used minutes) as last built, keyed by the whole
    row, calendar version included: a placement reads dozens of meetings, of which only the one it lists on
    changed since the last placement. A new version empties it."""

    MAX_ROWS = 20_000

    def __init__(self) -> None:
        self._version: int | None = None
        self._by_row: dict[tuple[Any, ...], MeetingFacts] = {}

    def get(self, version: int, row: tuple[Any, ...]) -> MeetingFacts | None:
        return self._by_row.get(row) if version == self._version else None

    def put(self, version: int, row: tuple[Any, ...], facts: MeetingFacts) -> None:
        if version != self._version or len(self._by_row) > self.MAX_ROWS:
            self._version, self._by_row = version, {}
        self._by_row[row] = facts


FACTS = FactsCache()


def _key(row: Any) -> tuple[UUID, datetime, datetime]:
    return row["meeting_id"], row["start"], row["end"]


async def _attendance(
    connection: DriverConnection, rows: Sequence[Any]
) -> dict[tuple[UUID, datetime, datetime], tuple[Attendee, ...]]:
    team_ids = sorted({row["team_id"] for row in rows})
    members: dict[int, list[Member]] = defaultdict(list)
    for row in await connection.fetch(_MEMBERS, team_ids):
        members[row["team_id"]].append(
            Member(row["clinician_id"], row["specialty"], Role(row["role"]), row["name"], row["active"])
        )
    clinician_ids = sorted({m.clinician_id for team in members.values() for m in team})
    since = min(row["start"] for row in rows)
    until = max(row["end"] for row in rows)
    windows: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for row in await connection.fetch(_WINDOWS, clinician_ids, since, until):
        windows[row["clinician_id"]].append((row["start"], row["end"]))
    absent: dict[UUID, set[int]] = defaultdict(set)
    for row in await connection.fetch(_ABSENCES, [row["meeting_id"] for row in rows]):
        absent[row["meeting_id"]].add(row["clinician_id"])
    found = {}
    for row in rows:
        start, end = row["start"], row["end"]
        relevant = {
            m.clinician_id: [w for w in windows.get(m.clinician_id, ()) if w[0] < end and w[1] > start]
            for m in members.get(row["team_id"], ())
        }
        people = attendance(members.get(row["team_id"], ()), relevant, absent[row["meeting_id"]], start, end)
        found[_key(row)] = tuple(people)
    return found


def _built(row: Any, attendees: tuple[Attendee, ...]) -> MeetingFacts:
    candidate = CandidateMeeting(
        meeting_id=row["meeting_id"],
        team_id=row["team_id"],
        start=row["start"],
        status=row["status"],
        capacity_minutes=row["capacity_minutes"],
        used_minutes=row["used_minutes"],
        attendees=attendees,
        quorum_specialties=frozenset(_loads(row["quorum_specialties"])),
        minutes_full=row["minutes_full"],
        minutes_standard_of_care=row["minutes_standard_of_care"],
        listing_cutoff=timedelta(hours=row["listing_cutoff_hours"]),
        horizon_end=None,
    )
    return MeetingFacts(candidate, row["code"], row["series_id"], row["end"])


async def _facts(connection: DriverConnection, rows: Sequence[Any]) -> list[MeetingFacts]:
    if not rows:
        return []
    version = rows[0]["calendar_version"]
    keys = [tuple(row) for row in rows]
    result = [FACTS.get(version, key) for key in keys]
    missing = [row for row, facts in zip(rows, result, strict=True) if facts is None]
    if not missing:
        return cast(list[MeetingFacts], result)
    known = {_key(row): ATTENDANCE.get(version, _key(row)) for row in missing}
    unknown = [row for row in missing if known[_key(row)] is None]
    if unknown:
        computed = await _attendance(connection, unknown)
        ATTENDANCE.put(version, computed)
        known.update(computed)
    for n, (row, key) in enumerate(zip(rows, keys, strict=True)):
        if result[n] is None:
            attendees = known[_key(row)]
            assert attendees is not None
            built = result[n] = _built(row, attendees)
            FACTS.put(version, key, built)
    return cast(list[MeetingFacts], result)


async def open_meetings(
    connection: DriverConnection, now: datetime, until: datetime | None = None
) -> list[MeetingFacts]:
    """Every scheduled or locked meeting that starts after `now` (and before `until`), within its team's
    horizon, in start order (the horizon bounds the late listings of step 4)."""
    return await _facts(connection, await connection.fetch(_OPEN_AFTER, now, until))


async def meetings_by_id(connection: DriverConnection, meeting_ids: Sequence[UUID]) -> list[MeetingFacts]:
    return await _facts(connection, await connection.fetch(_BY_ID, list(meeting_ids)))


async def meeting_facts(connection: DriverConnection, meeting_id: UUID) -> MeetingFacts | None:
    found = await meetings_by_id(connection, [meeting_id])
    return found[0] if found else None


# What a placement needs of the case itself, in one round trip: the meetings it was deferred from as not
# ready (it never goes back to them, meetings.md §3) and its readiness facts (from its case events).
_PLACEMENT_FACTS = """
SELECT ARRAY(SELECT meeting_id FROM scheduler.agenda_items WHERE case_id = $1 AND reason = 'not_ready')
           AS not_ready,
       (SELECT readiness FROM scheduler.case_state WHERE case_id = $1) AS readiness
"""
NO_READINESS: dict[str, bool | None] = {"imaging": None, "histology": None}


async def placement_facts(
    connection: DriverConnection, case_id: UUID
) -> tuple[frozenset[UUID], dict[str, bool | None]]:
    row = await connection.fetchrow(_PLACEMENT_FACTS, case_id)
    return frozenset(row["not_ready"]), readiness_of(row["readiness"])


def readiness_of(value: Any) -> dict[str, bool | None]:
    """The case state's readiness column as the placement uses it (unknown facts when it has none)."""
    readiness = _loads(value)
    return dict(readiness) if readiness else dict(NO_READINESS)
