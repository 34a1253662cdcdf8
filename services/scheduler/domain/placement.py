"""Where a case goes: a meeting, a huddle, or the waitlist, and why (meetings.md §2, Placement).

For every recommendation that needs a place, in this order:
1. `emergency`: an ad-hoc huddle (contracts.md §6); meetings are not used, whatever their dates.
2. `urgent` and `routine`: the earliest meeting of a team that is `scheduled` (or `locked`, for urgent cases
   only), starts before the deadline, starts at least the team's listing cut-off from now (routine only), has
   a quorum for the case (quorum.py: the team's quorum specialties and the case's required ones) and room for
   the case's minutes (the team's default for the case's mode).
3. Otherwise, for `urgent`: a huddle before the deadline.
4. Otherwise: the earliest meeting within the team's horizon that satisfies step 2 but starts after the
   deadline, listed `late`.
5. Otherwise: waitlisted, `no_quorum` with the specialties that lacked, or `no_capacity`.
With several teams, the meeting that comes first wins; ties go to the lowest team id.

A huddle is found by the slot search (slot_search.py), which needs the calendars: `decide` returns `Huddle`
with what to do when no huddle slot exists before the deadline (steps 4 and 5 for urgent cases; for an
emergency, the huddle path's own waitlist).

Pure: the caller passes the candidate meetings with their attendance and used minutes, and the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any
from uuid import UUID

from services.scheduler.domain.quorum import Attendee, panel


class Mode(StrEnum):
    full = "full"
    standard_of_care = "standard_of_care"


class WaitReason(StrEnum):
    no_quorum = "no_quorum"
    no_capacity = "no_capacity"


class Refusal(StrEnum):
    """Why one meeting cannot take the case."""

    status = "status"  # finished or cancelled, or locked for a routine case
    started = "started"
    cutoff = "cutoff"  # within the listing cut-off (routine)
    deadline = "deadline"  # starts at or after the deadline (only for on-time listings)
    horizon = "horizon"
    excluded = "excluded"  # the case was deferred from it as not ready
    quorum = "quorum"
    capacity = "capacity"


@dataclass(frozen=True)
class Need:
    """What the recommendation asks of a place."""

    urgency: str
    deadline: datetime
    required_specialties: frozenset[str]
    mode: Mode = Mode.full
    excluded_meetings: frozenset[UUID] = frozenset()


@dataclass(frozen=True)
class CandidateMeeting:
    meeting_id: UUID
    team_id: int
    start: datetime
    status: str
    capacity_minutes: int
    used_minutes: int
    attendees: tuple[Attendee, ...]
    quorum_specialties: frozenset[str]
    minutes_full: int = 6
    minutes_standard_of_care: int = 1
    listing_cutoff: timedelta = timedelta(hours=48)
    horizon_end: datetime | None = None

    def minutes_for(self, mode: Mode) -> int:
        return self.minutes_full if mode == Mode.full else self.minutes_standard_of_care

    # Computed once per meeting (the adapter keeps a meeting's candidate while its row is unchanged), not
    # once per case and step.
    @cached_property
    def counted_specialties(self) -> frozenset[str]:
        """The specialties of the expected attendees who count (quorum.panel)."""
        return frozenset(a.specialty for a in panel(self.attendees))

    @cached_property
    def order(self) -> tuple[Any, ...]:
        return self.start, self.team_id, str(self.meeting_id)

    def lacking(self, needed: Iterable[str]) -> list[str]:
        """quorum.lacking for this meeting's attendees."""
        return sorted(set(needed) - self.counted_specialties)

    @property
    def free_minutes(self) -> int:
        return self.capacity_minutes - self.used_minutes


@dataclass(frozen=True)
class OnMeeting:
    meeting: CandidateMeeting
    minutes: int
    late: bool = False


@dataclass(frozen=True)
class Waitlisted:
    reason: WaitReason
    specialties: tuple[str, ...] = ()

    def text(self) -> str:
        if self.reason == WaitReason.no_quorum:
            return f"no_quorum: {', '.join(self.specialties)}" if self.specialties else "no_quorum"
        return "no_capacity"


@dataclass(frozen=True)
class Huddle:
    """Book a huddle; when the slot search finds none before the deadline, `fallback` (None: the huddle
    path's own waitlist, as for emergencies)."""

    fallback: OnMeeting | Waitlisted | None = None


Placement = OnMeeting | Huddle | Waitlisted


@dataclass
class _Lacks:
    quorum: list[list[str]] = field(default_factory=list)
    capacity: bool = False


def refusal(
    need: Need,
    meeting: CandidateMeeting,
    now: datetime,
    *,
    late: bool = False,
    minutes_already_there: int = 0,
) -> tuple[Refusal | None, list[str]]:
    """Why `meeting` cannot take the case (None when it can), with the lacking specialties for `quorum`.

    `late`: the meeting may start after the deadline (step 4), but within the horizon.
    `minutes_already_there`: the case's own minutes when it is listed on this meeting already."""
    allowed = ("scheduled", "locked") if need.urgency == "urgent" else ("scheduled",)
    if meeting.status not in allowed:
        return Refusal.status, []
    if meeting.start <= now:
        return Refusal.started, []
    if need.urgency != "urgent" and meeting.start < now + meeting.listing_cutoff:
        return Refusal.cutoff, []
    if meeting.meeting_id in need.excluded_meetings:
        return Refusal.excluded, []
    if not late and meeting.start >= need.deadline:
        return Refusal.deadline, []
    if late and meeting.horizon_end is not None and meeting.start > meeting.horizon_end:
        return Refusal.horizon, []
    missing = meeting.lacking(meeting.quorum_specialties | need.required_specialties)
    if missing:
        return Refusal.quorum, missing
    if meeting.free_minutes + minutes_already_there < meeting.minutes_for(need.mode):
        return Refusal.capacity, []
    return None, []


def _in_order(meetings: Iterable[CandidateMeeting]) -> list[CandidateMeeting]:
    return sorted(meetings, key=lambda m: m.order)


def earliest_meeting(
    need: Need, meetings: Sequence[CandidateMeeting], now: datetime, *, late: bool = False
) -> OnMeeting | None:
    """Step 2 (or step 4 with `late`: only meetings at or after the deadline)."""
    for meeting in _in_order(meetings):
        if late and meeting.start < need.deadline:
            continue
        why, _ = refusal(need, meeting, now, late=late)
        if why is None:
            return OnMeeting(meeting, meeting.minutes_for(need.mode), late=late)
    return None


def why_waitlisted(need: Need, meetings: Sequence[CandidateMeeting], now: datetime) -> Waitlisted:
    """Step 5: what lacked at the meetings the case could otherwise have had. `no_capacity` when some meeting
    had a quorum for it; otherwise `no_quorum` with the specialties lacking at every such meeting (or, when
    each lacked different ones, at any), or every needed specialty when there was no meeting at all."""
    lacks = _Lacks()
    for meeting in _in_order(meetings):
        why, missing = refusal(need, meeting, now, late=True)
        if why == Refusal.capacity:
            lacks.capacity = True
        elif why == Refusal.quorum:
            lacks.quorum.append(missing)
    if lacks.capacity:
        return Waitlisted(WaitReason.no_capacity)
    if not lacks.quorum:
        quorum = set().union(*(m.quorum_specialties for m in meetings)) if meetings else set()
        return Waitlisted(WaitReason.no_quorum, tuple(sorted(quorum | need.required_specialties)))
    common = set(lacks.quorum[0]).intersection(*lacks.quorum[1:])
    every = common or set().union(*lacks.quorum)
    return Waitlisted(WaitReason.no_quorum, tuple(sorted(every)))


def decide(need: Need, meetings: Sequence[CandidateMeeting], now: datetime) -> Placement:
    """The place for the case, by the steps above."""
    if need.urgency == "emergency":
        return Huddle()
    on_time = earliest_meeting(need, meetings, now)
    if on_time is not None:
        return on_time
    otherwise: OnMeeting | Waitlisted = earliest_meeting(need, meetings, now, late=True) or why_waitlisted(
        need, meetings, now
    )
    if need.urgency == "urgent":
        return Huddle(fallback=otherwise)
    return otherwise


def still_fits(
    need: Need, meeting: CandidateMeeting, now: datetime, *, late: bool, minutes_there: int
) -> bool:
    """A listed case keeps its item after a new recommendation when the meeting is before the new deadline
    (unless the item is already late), has a quorum for the new specialties and room for the new minutes.
    The listing cut-off is not re-applied: the case is already on the agenda."""
    if meeting.status not in ("scheduled", "locked"):
        return False
    if not late and meeting.start >= need.deadline:
        return False
    if meeting.lacking(meeting.quorum_specialties | need.required_specialties):
        return False
    return meeting.free_minutes + minutes_there >= meeting.minutes_for(need.mode)
