"""Items on and off agendas: list a case on a meeting, keep its item after a new recommendation, take it off
(deferred or withdrawn). One placement object: the case's booking row says where the case is (`kind`,
`meeting_id`, `item_id`), and these functions change it together with the item, never field by field
elsewhere. The database refuses what would break capacity or the one active placement per case
(adapters/agenda_writes.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler import placement_state
from services.scheduler.adapters import agenda_writes, meeting_reads
from services.scheduler.adapters.agenda_writes import Refused
from services.scheduler.adapters.meeting_reads import MeetingFacts
from services.scheduler.adapters.tables import AgendaItemRecord, BookingRecord
from services.scheduler.domain.agenda import AgendaEntry, estimated_starts, insert
from services.scheduler.domain.placement import Need, OnMeeting, still_fits
from services.scheduler.domain.readiness import is_ready
from services.scheduler.placement_state import BookingRow, NewBooking
from services.scheduler.views import Listed, entry
from shared.db.driver import driver_connection

# A position change that moves an item's estimated start by more than this is announced (meetings.md §4).
ANNOUNCED_SHIFT = timedelta(minutes=15)


def shifted(
    before: list[AgendaEntry], after: list[AgendaEntry], start: datetime, *, skip: UUID | None = None
) -> list[UUID]:
    """Items whose estimated start moved by more than ANNOUNCED_SHIFT."""
    old, new = estimated_starts(start, before), estimated_starts(start, after)
    return [
        item_id
        for item_id, at in new.items()
        if item_id != skip and item_id in old and abs(at - old[item_id]) > ANNOUNCED_SHIFT
    ]


async def booking_ids_of(session: AsyncSession, item_ids: list[UUID]) -> list[UUID]:
    result = []
    for item_id in item_ids:
        item = await session.get(AgendaItemRecord, item_id)
        if item is not None:
            result.append(item.booking_id)
    return result


async def list_on(
    session: AsyncSession,
    booking: BookingRow,
    on: OnMeeting,
    need: Need,
    readiness: dict[str, bool | None],
    now: datetime,
    facts: MeetingFacts,
) -> tuple[Refused | None, list[UUID], Listed | None]:
    """Lists the case on the meeting (`facts`: the meeting as `on` was decided from) where the agenda order
    puts it, and leaves `booking` on it. A `NewBooking` is written with its item, as listed. Returns why
    the database refused it (nothing written then), the items whose estimated start moved by more than 15
    minutes, and what the announcement shows of the new item. The meeting's row, locked, says whether it
    takes the case (as the database would)."""
    await session.flush()  # a booking in the database first: the item refers to it
    connection = await driver_connection(session)
    meeting = on.meeting
    locked = await agenda_writes.lock_meeting(connection, meeting.meeting_id)
    refused = agenda_writes.refusal(locked, need.urgency, on.minutes)
    if refused is not None:
        return refused, [], None
    before = [entry(row) for row in await agenda_writes.agenda(connection, meeting.meeting_id)]
    new = AgendaEntry(uuid4(), need.mode.value, need.urgency, need.deadline, now, on.minutes)
    after = insert(before, new)

    def listed(row: BookingRow) -> None:
        row.mode = need.mode.value
        placement_state.on_meeting(
            row,
            meeting_id=meeting.meeting_id,
            item_id=new.item_id,
            start=meeting.start,
            end=facts.end,
            late=on.late,
            now=now,
        )

    new_booking = None
    if isinstance(booking, NewBooking):
        as_listed = replace(booking)
        listed(as_listed)
        new_booking = as_listed.columns()
    position = after.index(new) + 1
    await agenda_writes.list_item(
        connection,
        {
            "item_id": new.item_id,
            "meeting_id": meeting.meeting_id,
            "booking_id": booking.booking_id,
            "case_id": booking.case_id,
            "case_version": booking.case_version,
            "mode": need.mode.value,
            "minutes": on.minutes,
            "position": position,
            "urgency": need.urgency,
            "deadline": need.deadline,
            "required_specialties": sorted(need.required_specialties),
            "readiness": readiness,
            "late": on.late,
            "listed_at": now,
        },
        [e.item_id for e in after],
        new_booking=new_booking,
    )
    listed(booking)
    shown = Listed(
        facts,
        position=position,
        minutes=on.minutes,
        estimated_start=estimated_starts(meeting.start, after)[new.item_id],
        ready=is_ready(readiness),
    )
    return None, shifted(before, after, meeting.start, skip=new.item_id), shown


async def take_off(
    session: AsyncSession, booking: BookingRecord, *, status: str, reason: str, now: datetime
) -> list[UUID]:
    """The case's listed item becomes `status` (deferred or withdrawn) with `reason`; the agenda closes the
    gap. The booking keeps pointing at the item until the case is placed again. Returns the items whose
    estimated start moved by more than 15 minutes."""
    if booking.kind != "meeting" or booking.item_id is None:
        return []
    item = await session.get(AgendaItemRecord, booking.item_id, with_for_update=True)
    if item is None or item.status != "listed":
        return []
    connection = await driver_connection(session)
    await session.flush()
    meeting_row = await agenda_writes.lock_meeting(connection, item.meeting_id)
    before = [entry(row) for row in await agenda_writes.agenda(connection, item.meeting_id)]
    item.status, item.reason, item.updated_at = status, reason, now
    await session.flush()  # the trigger gives the minutes back
    after = [e for e in before if e.item_id != item.item_id]
    await agenda_writes.renumber(connection, [e.item_id for e in after])
    return shifted(before, after, meeting_row["start"]) if meeting_row is not None else []


async def keep_if_fits(
    session: AsyncSession, booking: BookingRecord, need: Need, now: datetime
) -> tuple[bool, list[UUID]]:
    """A new recommendation for a listed case: the item stays, with the new version, mode and minutes, when
    the meeting still fits (placement.still_fits). Returns whether it stayed, and the shifted items."""
    if booking.item_id is None or booking.meeting_id is None:
        return False, []
    item = await session.get(AgendaItemRecord, booking.item_id, with_for_update=True)
    if item is None or item.status != "listed":
        return False, []
    connection = await driver_connection(session)
    await session.flush()
    if await agenda_writes.lock_meeting(connection, item.meeting_id) is None:
        return False, []
    facts = await meeting_reads.meeting_facts(connection, item.meeting_id)
    if facts is None or not still_fits(
        need, facts.candidate, now, late=item.late, minutes_there=item.minutes
    ):
        return False, []
    before = [entry(row) for row in await agenda_writes.agenda(connection, item.meeting_id)]
    item.case_version = booking.case_version
    item.mode = need.mode.value
    item.minutes = facts.candidate.minutes_for(need.mode)
    item.urgency, item.deadline = need.urgency, need.deadline
    item.required_specialties = sorted(need.required_specialties)
    item.updated_at = now
    await session.flush()
    after = before
    if not item.moved:
        others = [e for e in before if e.item_id != item.item_id]
        after = insert(
            others,
            AgendaEntry(
                item.item_id, item.mode, item.urgency, item.deadline, item.listed_at or now, item.minutes
            ),
        )
        await agenda_writes.renumber(connection, [e.item_id for e in after])
    booking.mode = need.mode.value
    booking.updated_at = now
    return True, shifted(before, after, facts.candidate.start, skip=item.item_id)
