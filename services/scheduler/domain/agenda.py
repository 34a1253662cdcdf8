"""An agenda's order (meetings.md §2, Agenda order).

`full` items first, then `standard_of_care`; within each, urgent before routine, then earliest deadline,
then the time the case was listed. Positions are 1-based and have no gaps. A new item goes before the first
item that this order puts after it, among the items no coordinator moved: a moved item keeps its place
relative to the items around it when later items are inserted. The item id breaks the last ties, so the
order is total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

MODE_RANK = {"full": 0, "standard_of_care": 1}
URGENCY_RANK = {"emergency": 0, "urgent": 1, "routine": 2}


@dataclass(frozen=True)
class AgendaEntry:
    item_id: UUID
    mode: str
    urgency: str
    deadline: datetime
    listed_at: datetime
    minutes: int
    moved: bool = False


def order_key(item: AgendaEntry) -> tuple[int, int, datetime, datetime, str]:
    return (
        MODE_RANK.get(item.mode, 0),
        URGENCY_RANK.get(item.urgency, 3),
        item.deadline,
        item.listed_at,
        str(item.item_id),
    )


def insert(agenda: Sequence[AgendaEntry], new: AgendaEntry) -> list[AgendaEntry]:
    """The agenda with `new` where the order puts it; the others keep their relative order."""
    key = order_key(new)
    for index, item in enumerate(agenda):
        if not item.moved and order_key(item) > key:
            return [*agenda[:index], new, *agenda[index:]]
    return [*agenda, new]


def move(agenda: Sequence[AgendaEntry], item_id: UUID, position: int) -> list[AgendaEntry]:
    """The agenda with the item at 1-based `position`, the others renumbered around it; the item is marked
    moved. Raises ValueError for a position outside 1..len(agenda) or an unknown item."""
    if not 1 <= position <= len(agenda):
        raise ValueError(f"position must be between 1 and {len(agenda)}")
    index = next((i for i, item in enumerate(agenda) if item.item_id == item_id), None)
    if index is None:
        raise ValueError("unknown item")
    others = [item for item in agenda if item.item_id != item_id]
    others.insert(position - 1, replace(agenda[index], moved=True))
    return others


def positions(agenda: Sequence[AgendaEntry]) -> dict[UUID, int]:
    return {item.item_id: n for n, item in enumerate(agenda, start=1)}


def estimated_starts(start: datetime, agenda: Sequence[AgendaEntry]) -> dict[UUID, datetime]:
    """The meeting's start plus the minutes of the items before each one."""
    result = {}
    elapsed = 0
    for item in agenda:
        result[item.item_id] = start + timedelta(minutes=elapsed)
        elapsed += item.minutes
    return result
