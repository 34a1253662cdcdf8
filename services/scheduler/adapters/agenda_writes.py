"""The statements that put an item on an agenda. The database has the last word (migration 0004_meetings):
the meeting's row is locked, and the trigger on agenda_items refuses a listing that would overfill the
meeting, land on a closed one, or give the case a second active placement."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from services.scheduler.adapters.booking_writes import new_booking_statement, new_booking_values
from shared.db.driver import DriverConnection

_LOCK_MEETING = """
SELECT status, capacity_minutes, used_minutes, start FROM scheduler.meetings WHERE meeting_id = $1
FOR NO KEY UPDATE
"""

_AGENDA = """
SELECT item_id, booking_id, mode, urgency, deadline, listed_at, minutes, moved, position, status
FROM scheduler.agenda_items WHERE meeting_id = $1 AND status IN ('listed', 'discussed')
ORDER BY position, listed_at, item_id
"""

_INSERT_ITEM = """
INSERT INTO scheduler.agenda_items (item_id, meeting_id, booking_id, case_id, case_version, mode, minutes,
    position, urgency, deadline, required_specialties, readiness, status, late, listed_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'listed', $13, $14, $14)
"""


# A listing in one statement: the item, the agenda's other items renumbered to their new order ($15 their
# ids in agenda order, the new one's included, $16 positions 1..n; the new row is not in the statement's
# snapshot and already has its position), and the item's booking when that is not in the database yet
# ($17 on: its columns; the item's foreign key finds it, checked at the end of the statement). Refused by
# the trigger, none of it is written.
_RENUMBERED = """renumbered AS (
    UPDATE scheduler.agenda_items AS i SET position = u.position
    FROM unnest($15::uuid[], $16::int[]) AS u(item_id, position)
    WHERE i.item_id = u.item_id AND i.position <> u.position
)"""
_LIST_ITEM = f"WITH {_RENUMBERED}" + _INSERT_ITEM
_LIST_ITEM_AND_BOOKING = f"WITH {_RENUMBERED}, booking AS ({new_booking_statement(17)})" + _INSERT_ITEM

_RENUMBER = """
UPDATE scheduler.agenda_items AS i SET position = u.position
FROM unnest($1::uuid[], $2::int[]) AS u(item_id, position)
WHERE i.item_id = u.item_id AND i.position <> u.position
"""


class Refused(StrEnum):
    capacity = "capacity"
    closed = "closed"
    placed = "placed"  # the case has another active placement


async def lock_meeting(connection: DriverConnection, meeting_id: UUID) -> Any:
    return await connection.fetchrow(_LOCK_MEETING, meeting_id)


async def agenda(connection: DriverConnection, meeting_id: UUID) -> list[Any]:
    """The meeting's listed and discussed items in agenda order."""
    return list(await connection.fetch(_AGENDA, meeting_id))


def _refusal(error: asyncpg.PostgresError) -> Refused | None:
    constraint = getattr(error, "constraint_name", None)
    if error.sqlstate == "23514" and constraint == "meeting_capacity":
        return Refused.capacity
    if error.sqlstate == "23514" and constraint == "meeting_open":
        return Refused.closed
    if error.sqlstate == "23505" and constraint and constraint.startswith("active_placements"):
        return Refused.placed
    return None


def refusal(meeting: Any, urgency: str, minutes: int) -> Refused | None:
    """What the trigger on agenda_items would refuse of listing `minutes` of a case of `urgency` on the
    meeting, as `lock_meeting` returned it (None: gone), or None when it fits. Exact while the row stays
    locked: every change of a meeting's status or used minutes updates (so locks) its row."""
    if meeting is None:
        return Refused.closed
    if meeting["used_minutes"] + minutes > meeting["capacity_minutes"]:
        return Refused.capacity
    status = meeting["status"]
    if status not in ("scheduled", "locked") or (status == "locked" and urgency != "urgent"):
        return Refused.closed
    return None


async def list_item(
    connection: DriverConnection,
    item: dict[str, Any],
    order: list[UUID],
    *,
    new_booking: dict[str, Any] | None = None,
) -> None:
    """Inserts the item and renumbers the agenda to `order` (item ids, the new one's included), in one
    statement. `new_booking`: the columns of the item's booking when it is not in the database yet; it is
    written in the same statement. For a meeting locked and found to take it (`refusal`): no savepoint. The
    trigger still has the last word: should it refuse (the case has another active placement), the
    transaction is lost and RuntimeError raised, as when a listing is refused again and again."""
    statement = _LIST_ITEM
    booking: tuple[Any, ...] = ()
    if new_booking is not None:
        statement, booking = _LIST_ITEM_AND_BOOKING, new_booking_values(new_booking)
    try:
        await connection.execute(
            statement,
            item["item_id"],
            item["meeting_id"],
            item["booking_id"],
            item["case_id"],
            item["case_version"],
            item["mode"],
            item["minutes"],
            item["position"],
            item["urgency"],
            item["deadline"],
            orjson.dumps(item["required_specialties"]).decode(),
            orjson.dumps(item["readiness"]).decode(),
            item["late"],
            item["listed_at"],
            order,
            list(range(1, len(order) + 1)),
            *booking,
        )
    except asyncpg.PostgresError as error:
        refused = _refusal(error)
        if refused is None:
            raise
        raise RuntimeError(f"the database refused the listing: {refused.value}") from error


async def renumber(connection: DriverConnection, item_ids: list[UUID]) -> None:
    """Positions 1..n in the given order."""
    await connection.execute(_RENUMBER, item_ids, list(range(1, len(item_ids) + 1)))


# A case version's facts, in one statement, for every submitted or changed case: a withdrawn case re-opens
# with a newer version than any seen (intake and eligibility do the same), and its readiness facts ($3, keys
# as domain/readiness.py lists them) are recorded: their true and false replace, their null keeps what was
# known; on the case's state (for its next listings) and on its listed item. A case event older than the
# facts held changes neither.
_MERGED = """(SELECT coalesce(jsonb_object_agg(k, CASE WHEN v = 'null'::jsonb
                                   THEN coalesce({old} -> k, 'null'::jsonb) ELSE v END), '{{}}'::jsonb)
      FROM jsonb_each($3::jsonb) AS e(k, v))"""
_RECORD_CASE_CHANGE = f"""
WITH state AS (
    INSERT INTO scheduler.case_state AS s (case_id, latest_version, readiness, readiness_version)
    VALUES ($1, 0, $3::jsonb, $2)
    ON CONFLICT (case_id) DO UPDATE SET
        readiness = CASE WHEN s.readiness_version < $2 THEN {_MERGED.format(old="s.readiness")}
                         ELSE s.readiness END,
        readiness_version = greatest(s.readiness_version, $2),
        withdrawn_at = CASE WHEN s.latest_version < $2 THEN NULL ELSE s.withdrawn_at END
    WHERE s.readiness_version < $2 OR (s.withdrawn_at IS NOT NULL AND s.latest_version < $2)
    RETURNING case_id
)
UPDATE scheduler.agenda_items AS i SET readiness = {_MERGED.format(old="i.readiness")}, updated_at = now()
WHERE i.case_id = $1 AND i.status = 'listed' AND EXISTS (SELECT FROM state)
"""


async def record_case_change(
    connection: DriverConnection, case_id: UUID, version: int, readiness: dict[str, Any]
) -> None:
    """A listed item's readiness is merged again only when the state's was (a re-opened case has none)."""
    await connection.execute(_RECORD_CASE_CHANGE, case_id, version, orjson.dumps(readiness).decode())
