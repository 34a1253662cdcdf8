"""Recording an MDT outcome (meetings.md §6): for an agenda item, or for a huddle booking. Roles
`coordinator` and `clinician`. Errors never quote a note."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from services.scheduler import outcomes
from services.scheduler.api.context import CONFLICT, FAILURES, Context, _context, translate
from shared.auth import Principal, Role, require_roles
from shared.contracts.outcome import Outcome, OutcomeRequest
from shared.http.problems import ProblemError

router = APIRouter(prefix="/v1", tags=["outcomes"])


async def _recorder(request: Request) -> Principal:
    return await require_roles(_context(request).tokens, Role.coordinator, Role.clinician)(request)


Recorder = Annotated[Principal, Depends(_recorder)]


def _refused(error: Exception) -> ProblemError:
    if isinstance(error, outcomes.OutcomeInvalidError):
        return ProblemError(
            422, "Invalid outcome", str(error), errors=[problem.as_error() for problem in error.problems]
        )
    return translate(error)


@router.post(
    "/meetings/{meeting_id}/items/{item_id}/outcome",
    status_code=201,
    response_model=Outcome,
    responses=CONFLICT,
)
async def record_item_outcome(
    meeting_id: UUID, item_id: UUID, body: OutcomeRequest, who: Recorder, context: Context
) -> Outcome:
    """The meeting's decision for the item's case: a new outcome version that supersedes the previous one;
    the item becomes `discussed`. 409 for a deferred item (naming where the case went) or a withdrawn case;
    422 naming every failing field (a decision missing for a recommended or consider therapy, a reason code
    missing, a therapy twice, attendees not of the team or not covering the required specialties)."""
    try:
        async with context.sessions() as session, session.begin():
            outcome = await outcomes.record_item_outcome(
                session,
                meeting_id,
                item_id,
                body,
                role=who.role.value,
                actor=who.token_id,
                policy=context.policy,
            )
    except (*FAILURES, outcomes.OutcomeInvalidError) as error:
        raise _refused(error) from None
    context.on_commit()
    return outcome


@router.post("/bookings/{booking_id}/outcome", status_code=201, response_model=Outcome, responses=CONFLICT)
async def record_huddle_outcome(
    booking_id: UUID, body: OutcomeRequest, who: Recorder, context: Context
) -> Outcome:
    """The huddle's decision (attendees among its participants); otherwise as for an agenda item."""
    try:
        async with context.sessions() as session, session.begin():
            outcome = await outcomes.record_huddle_outcome(
                session, booking_id, body, role=who.role.value, actor=who.token_id, policy=context.policy
            )
    except (*FAILURES, outcomes.OutcomeInvalidError) as error:
        raise _refused(error) from None
    context.on_commit()
    return outcome
