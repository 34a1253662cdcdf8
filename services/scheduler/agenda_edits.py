"""What coordinators change on agendas (meetings.md §5): one-off meetings, an item's minutes, position and
readiness, and moving an item to another meeting. The agenda rules are domain/agenda.py's and the capacity
check is the database's; each change is one transaction with its audit row and events."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler import placement_state, placing, service, views
from services.scheduler.adapters import agenda_writes, meeting_reads
from services.scheduler.adapters.tables import AgendaItemRecord, BookingRecord, MeetingRecord
from services.scheduler.coordination import ConflictError, InvalidRequestError, NotFoundError, audit
from services.scheduler.domain.agenda import AgendaEntry, insert, move
from services.scheduler.domain.placement import Mode, Need, Refusal, refusal
from services.scheduler.listing import shifted
from services.scheduler.meeting_schemas import AgendaItemPublic, ItemUpdate, MeetingCreate, MeetingPublic
from services.scheduler.meetings import MeetingConflictError, locked_meeting, serialise
from services.scheduler.service import BookingPolicy
from services.scheduler.teams import get_team
from services.scheduler.views import entry
from shared.contracts.events import EventType
from shared.db.driver import driver_connection
from shared.db.unit_of_work import UnitOfWork

OPEN = ("scheduled", "locked")


async def create_meeting(uow: UnitOfWork, actor: str, body: MeetingCreate) -> MeetingPublic:
    async with uow.begin() as session:
        await get_team(session, body.team_id)
        if body.start <= service.now_utc():
            raise InvalidRequestError("start", "must be in the future")
        meeting = MeetingRecord(
            meeting_id=uuid4(),
            team_id=body.team_id,
            start=body.start,
            end=body.start + timedelta(minutes=body.duration_minutes),
            capacity_minutes=body.capacity_minutes or body.duration_minutes,
        )
        session.add(meeting)
        await session.flush()
        audit(session, actor, "create", "meeting", meeting.meeting_id, team_id=body.team_id)
        return await views.meeting(session, meeting.meeting_id)


async def _item(session: AsyncSession, meeting_id: UUID, item_id: UUID) -> AgendaItemRecord:
    item = await session.get(AgendaItemRecord, item_id, with_for_update=True)
    if item is None or item.meeting_id != meeting_id:
        raise NotFoundError(f"no item {item_id} on meeting {meeting_id}")
    return item


async def _announce_moved(session: AsyncSession, policy: BookingPolicy, item_ids: list[UUID]) -> None:
    await placing.announce_shifted(session, policy, item_ids)


async def _listed(session: AsyncSession, meeting_id: UUID, item_id: UUID) -> AgendaItemPublic:
    return next(i for i in await views.agenda(session, meeting_id) if i.item_id == item_id)


async def update_item(
    uow: UnitOfWork, actor: str, meeting_id: UUID, item_id: UUID, body: ItemUpdate, policy: BookingPolicy
) -> AgendaItemPublic:
    """`minutes` (409 when the agenda would exceed capacity), `position` (1..n; the others renumber),
    `readiness`; the item as it is after the change."""
    async with uow.begin() as session:
        await _update_item(session, actor, meeting_id, item_id, body, policy)
        return await _listed(session, meeting_id, item_id)


async def move_item(
    uow: UnitOfWork, actor: str, meeting_id: UUID, item_id: UUID, target_id: UUID, policy: BookingPolicy
) -> AgendaItemPublic:
    """To another meeting (409 naming why it cannot go there); the item as it is on that meeting."""
    async with uow.begin() as session:
        await _move_item(session, actor, meeting_id, item_id, target_id, policy)
        return await _listed(session, target_id, item_id)


async def _update_item(
    session: AsyncSession,
    actor: str,
    meeting_id: UUID,
    item_id: UUID,
    body: ItemUpdate,
    policy: BookingPolicy,
) -> AgendaItemRecord:
    await serialise(session)
    meeting = await locked_meeting(session, meeting_id)
    item = await _item(session, meeting_id, item_id)
    if meeting.status not in OPEN:
        raise MeetingConflictError(meeting.status, "changed")
    if item.status != "listed":
        raise ConflictError(f"the item is {item.status}")
    connection = await driver_connection(session)
    before = [entry(row) for row in await agenda_writes.agenda(connection, meeting_id)]
    after = before
    if body.minutes is not None and body.minutes != item.minutes:
        try:
            async with session.begin_nested():
                item.minutes = body.minutes
                await session.flush()
        except IntegrityError:
            raise ConflictError(
                f"minutes: {body.minutes} would exceed the meeting's capacity "
                f"({meeting.used_minutes} of {meeting.capacity_minutes} minutes used)"
            ) from None
        after = [
            AgendaEntry(e.item_id, e.mode, e.urgency, e.deadline, e.listed_at, body.minutes, e.moved)
            if e.item_id == item_id
            else e
            for e in after
        ]
    if body.position is not None:
        if body.position > len(after):
            raise InvalidRequestError("position", f"must be between 1 and {len(after)}")
        after = move(after, item_id, body.position)
        item.moved = True
        await agenda_writes.renumber(connection, [e.item_id for e in after])
    if body.readiness is not None:
        values = body.readiness.model_dump(exclude_unset=True)
        item.readiness = {**item.readiness, **values}
    item.updated_at = service.now_utc()
    await session.flush()
    await _announce_moved(session, policy, shifted(before, after, meeting.start))
    audit(
        session,
        actor,
        "update_item",
        "meeting",
        meeting_id,
        item_id=str(item_id),
        **body.model_dump(mode="json", exclude_unset=True),
    )
    return item


async def _move_item(
    session: AsyncSession, actor: str, meeting_id: UUID, item_id: UUID, target_id: UUID, policy: BookingPolicy
) -> AgendaItemRecord:
    """The item goes to `target_id` where its order puts it: 409 naming the reason when that meeting is
    finished or cancelled (or locked, for a routine case), lacks a quorum for the case, or room."""
    await serialise(session)
    first, second = sorted([meeting_id, target_id], key=str)
    await locked_meeting(session, first)
    if second != first:
        await locked_meeting(session, second)
    source = await locked_meeting(session, meeting_id)
    item = await _item(session, meeting_id, item_id)
    if item.status != "listed":
        raise ConflictError(f"the item is {item.status}")
    if source.status not in OPEN:
        raise MeetingConflictError(source.status, "changed")
    if target_id == meeting_id:
        return item
    connection = await driver_connection(session)
    facts = await meeting_reads.meeting_facts(connection, target_id)
    if facts is None:
        raise NotFoundError(f"no meeting {target_id}")
    target = facts.candidate
    need = Need(item.urgency, item.deadline, frozenset(item.required_specialties), Mode(item.mode))
    why, lacking = refusal(need, target, service.now_utc(), late=True)
    minutes = target.minutes_for(need.mode)
    if why in (Refusal.status, Refusal.started):
        raise MeetingConflictError(target.status, "given this case")
    if why == Refusal.quorum:
        raise ConflictError(f"the meeting lacks a quorum for the case: {', '.join(lacking)}")
    if why == Refusal.capacity:
        raise ConflictError(f"the meeting has {target.free_minutes} free minutes; the case needs {minutes}")
    source_before = [entry(row) for row in await agenda_writes.agenda(connection, meeting_id)]
    target_before = [entry(row) for row in await agenda_writes.agenda(connection, target_id)]
    item.meeting_id, item.minutes, item.moved = target_id, minutes, False
    item.late = target.start >= item.deadline
    item.updated_at = service.now_utc()
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise ConflictError("the meeting has no room for the case") from None
    source_after = [e for e in source_before if e.item_id != item_id]
    moved_entry = AgendaEntry(
        item.item_id, item.mode, item.urgency, item.deadline, item.listed_at or item.updated_at, minutes
    )
    target_after = insert(target_before, moved_entry)
    await agenda_writes.renumber(connection, [e.item_id for e in source_after])
    await agenda_writes.renumber(connection, [e.item_id for e in target_after])
    booking = await session.get(BookingRecord, item.booking_id, with_for_update=True)
    assert booking is not None
    placement_state.on_meeting(
        booking,
        meeting_id=target_id,
        item_id=item.item_id,
        start=target.start,
        end=facts.end,
        late=item.late,
        now=item.updated_at,
        reason="moved by a coordinator",
    )
    await session.flush()
    await service.announce(session, policy, EventType.booking_rescheduled, booking)
    await _announce_moved(session, policy, shifted(source_before, source_after, source.start))
    await _announce_moved(session, policy, shifted(target_before, target_after, target.start, skip=item_id))
    audit(session, actor, "move_item", "meeting", meeting_id, item_id=str(item_id), to=str(target_id))
    return item
