"""Intake's use cases. Each that changes a case runs in one transaction (from the unit of work it is given,
or one statement) that writes the state change and its outbox event; the submission's Idempotency-Key is in
services/intake/submission.py."""

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import orjson
from opentelemetry.context import Context
from opentelemetry.propagate import inject
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.adapters.case_writes import (
    Announcement,
    DownstreamState,
    current_case,
    lock_downstream_state,
    save_downstream_state,
    save_submission,
)
from services.intake.adapters.tables import CaseRecord, CaseVersionRecord, outbox
from services.intake.case_view import (
    CaseView,
    PipelineStatus,
    SubmissionReceipt,
    case_view,
    recommendation_summary,
    status_of,
)
from services.intake.fhir_out import case_bundle
from services.intake.webhooks import store as webhook_store
from services.intake.webhooks.domain.events import WebhookEvent
from shared.contracts.case import CaseSubmission
from shared.contracts.events import EventEnvelope, EventType
from shared.db.driver import DriverConnection, driver_connection
from shared.db.unit_of_work import UnitOfWork
from shared.errors import NotFoundError
from shared.kafka.consumer import Delivery
from shared.kafka.outbox import add_to_outbox
from shared.metrics import EVENTS_WRITTEN, SUBMISSION_TO_BOOKING
from shared.telemetry import current_trace_headers

_SET_BY_THE_STATEMENT = UUID(int=0)  # the case id and version of a submission's event: see save_submission


class CaseNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("no case with this id")


def today() -> date:
    return datetime.now(UTC).date()


async def _publish(session: AsyncSession, topic: str, envelope: EventEnvelope) -> None:
    await add_to_outbox(session, outbox, topic, envelope)


async def submit_case(
    connection: DriverConnection,
    *,
    client: str,
    submission: CaseSubmission,
    topic: str,
    sources: dict[str, Any] | None = None,
) -> tuple[SubmissionReceipt, bool]:
    """Returns the receipt and whether anything changed (new case or new version). The case, its version
    and its event are one statement, on `connection` as it is: in autocommit it commits on its own, inside a
    transaction (when the caller writes more, as the Idempotency-Key path does) it is part of it. `sources`
    (a FHIR submission's field provenance) is kept with the version."""
    content = submission.model_dump(mode="json")
    content_json = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    # The payload is the content already encoded, not dumped a second time through the envelope's model.
    envelope = EventEnvelope(
        event_type=EventType.case_submitted, case_id=_SET_BY_THE_STATEMENT, case_version=1, payload={}
    )
    changed = await save_submission(
        connection,
        client=client,
        external_id=submission.external_id,
        content_json=content_json.decode(),
        content_hash=hashlib.sha256(content_json).hexdigest(),
        sources_json=None if sources is None else orjson.dumps(sources).decode(),
        announcement=Announcement(
            event_id=envelope.event_id,
            topic=topic,
            envelope_without_case={
                **envelope.model_dump(
                    mode="json", exclude={"case_id", "case_version", "event_type", "payload"}
                ),
                "payload": orjson.Fragment(content_json),
            },
            trace_headers=current_trace_headers(),
            first_version_type=EventType.case_submitted.value,
            later_version_type=EventType.case_updated.value,
        ),
    )
    if changed is None:  # identical resubmission
        case = await current_case(connection, client=client, external_id=submission.external_id)
        status = status_of(
            case["version"], case["withdrawn_at"], case["outcome"], case["booking"], case["recommendation"]
        )
        return SubmissionReceipt(case_id=case["case_id"], case_version=case["version"], status=status), False

    case_id, version = changed
    event_type = EventType.case_submitted if version == 1 else EventType.case_updated
    EVENTS_WRITTEN.labels(event_type.value, "").inc()
    return SubmissionReceipt(case_id=case_id, case_version=version, status=PipelineStatus.received), True


async def withdraw_case(uow: UnitOfWork, *, case_id: UUID, topic: str) -> tuple[SubmissionReceipt, bool]:
    """The receipt, and whether the case was withdrawn now (False: it was already)."""
    async with uow.begin() as session:
        case = await session.get(CaseRecord, case_id, with_for_update=True)
        if case is None:
            raise CaseNotFoundError
        if case.withdrawn_at is not None:
            return SubmissionReceipt(
                case_id=case.case_id, case_version=case.version, status=PipelineStatus.withdrawn
            ), False
        case.withdrawn_at = datetime.now(UTC)
        case.updated_at = case.withdrawn_at
        envelope = EventEnvelope(
            event_type=EventType.case_withdrawn,
            case_id=case.case_id,
            case_version=case.version,
            payload={"withdrawn_at": case.withdrawn_at.isoformat()},
        )
        await _publish(session, topic, envelope)
        await webhook_store.enqueue(await driver_connection(session), [_webhook_event(envelope)])
        return SubmissionReceipt(
            case_id=case.case_id, case_version=case.version, status=PipelineStatus.withdrawn
        ), True


async def get_case(uow: UnitOfWork, case_id: UUID, *, with_trace: bool = False) -> CaseView:
    async with uow.read() as session:
        case = await session.get(CaseRecord, case_id)
        if case is None:
            raise CaseNotFoundError
        version = await session.get(CaseVersionRecord, (case_id, case.version))
        view = case_view(case, version)
        if with_trace:  # assigned, so the ops role's answer has the field even when it is null
            view.trace_id = None if version is None else version.trace_id
        return view


async def get_case_fhir(uow: UnitOfWork, case_id: UUID) -> dict[str, Any]:
    """The case's results as a FHIR R4 Bundle (meetings.md §7)."""
    async with uow.read() as session:
        case = await session.get(CaseRecord, case_id)
        if case is None:
            raise CaseNotFoundError
        return case_bundle(
            case_id=str(case.case_id),
            case_version=case.version,
            pseudonym=(case.content.get("patient") or {}).get("pseudonym"),
            recommendation=case.recommendation_detail,
            booking=case.booking,
            outcome=case.outcome,
        )


async def record_downstream_decisions(session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
    """Shows eligibility's recommendations, the scheduler's bookings and the MDT outcomes on the cases, for a
    batch at once: per case, the newest event for the newest version wins (a case's events arrive in order,
    keyed by id), and the highest outcome version."""
    connection = await driver_connection(session)
    states = await lock_downstream_state(connection, {d.envelope.case_id for d in deliveries})
    changed: dict[UUID, DownstreamState] = {}
    now = datetime.now(UTC)
    for delivery in deliveries:
        envelope = delivery.envelope
        state = states.get(envelope.case_id)
        if state is None:
            continue  # not a case of this intake
        if envelope.event_type == EventType.outcome_recorded:
            version = int(envelope.payload.get("version", 0))
            if version > (state.outcome_version or 0):  # a later recording supersedes
                state.outcome = envelope.payload
                state.outcome_version = version
                changed[envelope.case_id] = state
        elif envelope.event_type == EventType.recommendation_issued:
            if envelope.case_version >= (state.recommendation_version or 0):
                state.recommendation = recommendation_summary(envelope.payload)
                state.recommendation_detail = envelope.payload
                state.recommendation_version = envelope.case_version
                changed[envelope.case_id] = state
        elif envelope.case_version >= (state.booking_version or 0):
            first_decision = state.booking_version != envelope.case_version
            state.booking = envelope.payload
            state.booking_version = envelope.case_version
            changed[envelope.case_id] = state
            if first_decision and envelope.case_version == state.version and state.received_at is not None:
                elapsed = (now - state.received_at).total_seconds()
                SUBMISSION_TO_BOOKING.labels(str(envelope.payload.get("status", ""))).observe(
                    max(elapsed, 0.0)
                )
    if changed:
        await save_downstream_state(connection, changed)
    # Every first delivery of an event about one of this intake's cases goes to the subscribed webhooks,
    # stale versions too: the body names the case version.
    await webhook_store.enqueue(
        connection,
        [
            _webhook_event(d.envelope, trace_headers_of(d.context))
            for d in deliveries
            if d.envelope.case_id in states
        ],
    )


def trace_headers_of(ctx: Context) -> dict[str, str]:
    """The W3C headers of a record's process span (in a batch, not the active span)."""
    carrier: dict[str, str] = {}
    inject(carrier, context=ctx)
    return carrier


def _webhook_event(envelope: EventEnvelope, trace_headers: dict[str, str] | None = None) -> WebhookEvent:
    return WebhookEvent(
        event_id=envelope.event_id,
        event_type=envelope.event_type.value,
        case_id=envelope.case_id,
        case_version=envelope.case_version,
        occurred_at=envelope.occurred_at,
        payload=envelope.payload,
        trace_headers=current_trace_headers() if trace_headers is None else trace_headers,
    )
