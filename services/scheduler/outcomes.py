"""Recording an MDT outcome (meetings.md §6): for an agenda item of a meeting, or for a huddle. One
transaction writes the outcome (a new version, never an update), the item's `discussed` status, the audit row
and the `outcome.recorded` event; the rules the outcome itself must meet are in domain/outcome.py."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler.adapters import outcome_writes
from services.scheduler.adapters.tables import (
    AgendaItemRecord,
    BookingRecord,
    CaseState,
    MeetingRecord,
    OutcomeRecord,
    outbox,
)
from services.scheduler.coordination import ConflictError, NotFoundError, audit
from services.scheduler.domain.outcome import OutcomeProblem, outcome_problems
from services.scheduler.service import BookingPolicy
from shared.contracts.codes import Specialty, TherapyCode, Verdict
from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.outcome import Outcome, OutcomeRequest
from shared.db.driver import driver_connection
from shared.db.unit_of_work import UnitOfWork
from shared.errors import DomainError, FieldProblem, InvalidRequestError
from shared.kafka.outbox import add_to_outbox
from shared.metrics import MDT_DEADLINE_MISSED, MDT_TIME_TO_DISCUSSION


class OutcomeInvalidError(InvalidRequestError):
    """The outcome breaks §6's rules: answered 422 with every failing field."""

    title = "Invalid outcome"

    def __init__(self, problems: list[OutcomeProblem]) -> None:
        DomainError.__init__(
            self,
            f"{len(problems)} field(s) failed validation",
            [FieldProblem(p.field, p.reason) for p in problems],
        )


@dataclass(frozen=True)
class _Discussed:
    """What the outcome is about: the case version, where it was discussed, and its clock."""

    case_id: UUID
    case_version: int
    urgency: str
    deadline: datetime
    discussed_at: datetime  # the meeting's or huddle's start; the recording time if that is still ahead
    required: frozenset[Specialty]
    eligible: dict[int, Specialty]
    meeting_id: UUID | None
    item: AgendaItemRecord | None
    booking_id: UUID | None


async def record_item_outcome(
    uow: UnitOfWork,
    meeting_id: UUID,
    item_id: UUID,
    request: OutcomeRequest,
    *,
    role: str,
    actor: str,
    policy: BookingPolicy,
) -> Outcome:
    async with uow.begin() as session:
        item = await session.get(AgendaItemRecord, item_id, with_for_update=True)
        if item is None or item.meeting_id != meeting_id:
            raise NotFoundError("no such item on this meeting")
        connection = await driver_connection(session)
        await _refuse_withdrawn(session, item.case_id)
        if item.status == "deferred":
            now_at = await outcome_writes.current_listing(connection, item.case_id)
            where = (
                f"; the case moved to item {now_at['item_id']} of meeting {now_at['meeting_id']}"
                if now_at is not None
                else "; the case is not listed on a meeting now"
            )
            raise ConflictError(f"item {item_id} was deferred ({item.reason}){where}")
        if item.status == "withdrawn":
            raise ConflictError(f"item {item_id} was withdrawn ({item.reason}): its case was placed again")
        meeting = await session.get(MeetingRecord, meeting_id)
        assert meeting is not None  # the item's foreign key
        now = datetime.now(UTC)
        members = await outcome_writes.meeting_members(connection, meeting_id)
        discussed = _Discussed(
            case_id=item.case_id,
            case_version=item.case_version,
            urgency=item.urgency,
            deadline=item.deadline,
            discussed_at=min(meeting.start, now),
            required=frozenset(Specialty(s) for s in item.required_specialties),
            eligible={clinician: Specialty(specialty) for clinician, specialty in members.items()},
            meeting_id=meeting_id,
            item=item,
            booking_id=item.booking_id,
        )
        return await _record(session, discussed, request, role=role, actor=actor, policy=policy, now=now)


async def record_huddle_outcome(
    uow: UnitOfWork,
    booking_id: UUID,
    request: OutcomeRequest,
    *,
    role: str,
    actor: str,
    policy: BookingPolicy,
) -> Outcome:
    async with uow.begin() as session:
        booking = await session.get(BookingRecord, booking_id, with_for_update=True)
        if booking is None:
            raise NotFoundError("no such booking")
        await _refuse_withdrawn(session, booking.case_id)
        if booking.kind == "meeting":
            raise ConflictError(
                f"booking {booking_id} is a listing on meeting {booking.meeting_id}: record the outcome on its "
                f"agenda item {booking.item_id}"
            )
        if booking.status != "confirmed" or booking.start is None:
            raise ConflictError(
                f"booking {booking_id} is {booking.status}: only a confirmed huddle has an outcome"
            )
        now = datetime.now(UTC)
        participants = await outcome_writes.huddle_participants(await driver_connection(session), booking_id)
        # A partial emergency panel was booked knowing what it lacked: those specialties cannot be asked for.
        required = set(booking.required_specialties) - set(booking.missing_specialties)
        discussed = _Discussed(
            case_id=booking.case_id,
            case_version=booking.case_version,
            urgency=booking.urgency,
            deadline=booking.deadline,
            discussed_at=min(booking.start, now),
            required=frozenset(Specialty(s) for s in required),
            eligible={clinician: Specialty(specialty) for clinician, specialty in participants.items()},
            meeting_id=None,
            item=None,
            booking_id=booking_id,
        )
        return await _record(session, discussed, request, role=role, actor=actor, policy=policy, now=now)


async def _refuse_withdrawn(session: AsyncSession, case_id: UUID) -> None:
    state = await session.get(CaseState, case_id)
    if state is not None and state.withdrawn_at is not None:
        raise ConflictError(f"case {case_id} was withdrawn: it has no outcome to record")


async def _record(
    session: AsyncSession,
    discussed: _Discussed,
    request: OutcomeRequest,
    *,
    role: str,
    actor: str,
    policy: BookingPolicy,
    now: datetime,
) -> Outcome:
    connection = await driver_connection(session)
    snapshot = await outcome_writes.recommendation_snapshot(
        connection, discussed.case_id, discussed.case_version
    )
    if snapshot is None:  # placed before the scheduler kept recommendations: nothing to record against
        raise ConflictError(f"no recommendation of case version {discussed.case_version} is known here")
    verdicts = {TherapyCode(code): Verdict(status) for code, status in snapshot["verdicts"].items()}
    problems = outcome_problems(
        request,
        verdicts=verdicts,
        required_specialties=discussed.required,
        eligible_attendees=discussed.eligible,
    )
    if problems:
        raise OutcomeInvalidError(problems)
    version = await outcome_writes.next_outcome_version(connection, discussed.case_id)
    outcome = Outcome(
        **request.model_dump(),
        outcome_id=uuid4(),
        version=version,
        case_id=discussed.case_id,
        case_version=discussed.case_version,
        meeting_id=discussed.meeting_id,
        booking_id=discussed.booking_id,
        ruleset_version=snapshot["ruleset_version"],
        recorded_at=now,
        recorded_by_role=role,
        verdicts=verdicts,
    )
    session.add(
        OutcomeRecord(
            outcome_id=outcome.outcome_id,
            case_id=outcome.case_id,
            version=version,
            case_version=outcome.case_version,
            meeting_id=outcome.meeting_id,
            item_id=None if discussed.item is None else discussed.item.item_id,
            booking_id=outcome.booking_id,
            ruleset_version=outcome.ruleset_version,
            recorded_at=now,
            recorded_by_role=role,
            verdicts={k.value: v.value for k, v in verdicts.items()},
            decisions=[d.model_dump(mode="json") for d in request.decisions],
            intent=request.intent.value,
            decision_to_treat_date=request.decision_to_treat_date,
            attendees=list(request.attendees),
            further_investigations=[f.value for f in request.further_investigations],
        )
    )
    if discussed.item is not None and discussed.item.status == "listed":
        discussed.item.status = "discussed"
        discussed.item.updated_at = now
    audit(
        session,
        actor,
        "record_outcome",
        "case",
        discussed.case_id,
        version=version,
        meeting_id=None if discussed.meeting_id is None else str(discussed.meeting_id),
        booking_id=None if discussed.booking_id is None else str(discussed.booking_id),
        role=role,
    )
    await session.flush()
    await add_to_outbox(
        session,
        outbox,
        policy.outcome_topic,
        EventEnvelope(
            event_type=EventType.outcome_recorded,
            case_id=outcome.case_id,
            case_version=outcome.case_version,
            payload=announced(outcome),
        ),
    )
    if version == 1:
        _pathway_clock(discussed, snapshot["evaluated_at"])
    return outcome


def announced(outcome: Outcome) -> dict[str, Any]:
    """The event's payload: the outcome without the clinicians' notes, which stay in this database."""
    payload = outcome.model_dump(mode="json")
    for decision in payload["decisions"]:
        decision["note"] = None
    return payload


def _pathway_clock(discussed: _Discussed, evaluated_at: datetime) -> None:
    MDT_TIME_TO_DISCUSSION.labels(discussed.urgency).observe(
        max((discussed.discussed_at - evaluated_at).total_seconds(), 0.0)
    )
    if discussed.discussed_at > discussed.deadline:
        MDT_DEADLINE_MISSED.labels(discussed.urgency).inc()
