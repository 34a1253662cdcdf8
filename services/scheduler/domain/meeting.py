"""A meeting's life and the items each change defers (meetings.md §3).

- lock (at `start - listing_cutoff_hours`, or earlier by hand): scheduled -> locked; every listed item that
  is not ready is deferred `not_ready` (and never placed on this meeting again).
- finish: scheduled or locked -> finished; items still listed are deferred `not_reached`.
- cancel: scheduled or locked -> cancelled; listed items are deferred `meeting_cancelled`.
- absence: the quorum of each listed item is checked again; those that lost it are deferred `quorum_lost`.
Each function returns the new status and the deferrals; the caller writes them in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from services.scheduler.domain.quorum import Attendee, lacking


class MeetingStatus(StrEnum):
    scheduled = "scheduled"
    locked = "locked"
    finished = "finished"
    cancelled = "cancelled"


class DeferReason(StrEnum):
    not_ready = "not_ready"
    not_reached = "not_reached"
    meeting_cancelled = "meeting_cancelled"
    quorum_lost = "quorum_lost"


class MeetingStateError(Exception):
    """The meeting's status forbids the change."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"a {status} meeting cannot be {action}")
        self.status = status
        self.action = action


@dataclass(frozen=True)
class ListedItem:
    item_id: UUID
    ready: bool
    required_specialties: frozenset[str]


@dataclass(frozen=True)
class Deferral:
    item_id: UUID
    reason: DeferReason


OPEN = (MeetingStatus.scheduled, MeetingStatus.locked)


def _require(status: str, allowed: Iterable[MeetingStatus], action: str) -> None:
    if status not in {s.value for s in allowed}:
        raise MeetingStateError(status, action)


def lock(status: str, items: Sequence[ListedItem]) -> tuple[MeetingStatus, list[Deferral]]:
    _require(status, (MeetingStatus.scheduled,), "locked")
    return MeetingStatus.locked, [Deferral(i.item_id, DeferReason.not_ready) for i in items if not i.ready]


def finish(status: str, items: Sequence[ListedItem]) -> tuple[MeetingStatus, list[Deferral]]:
    _require(status, OPEN, "finished")
    return MeetingStatus.finished, [Deferral(i.item_id, DeferReason.not_reached) for i in items]


def cancel(status: str, items: Sequence[ListedItem]) -> tuple[MeetingStatus, list[Deferral]]:
    _require(status, OPEN, "cancelled")
    return MeetingStatus.cancelled, [Deferral(i.item_id, DeferReason.meeting_cancelled) for i in items]


def after_absence(
    status: str,
    items: Sequence[ListedItem],
    attendees: Sequence[Attendee],
    quorum_specialties: frozenset[str],
) -> list[Deferral]:
    """`attendees` as they are with the absence recorded."""
    _require(status, OPEN, "changed")
    return [
        Deferral(i.item_id, DeferReason.quorum_lost)
        for i in items
        if lacking(attendees, quorum_specialties | i.required_specialties)
    ]
