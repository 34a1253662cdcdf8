"""Recording an MDT outcome (meetings.md §6): for an agenda item, or for a huddle booking. Roles
`coordinator` and `clinician`. Errors never quote a note."""

from uuid import UUID

from fastapi import APIRouter

from services.scheduler import outcomes
from services.scheduler.api.context import AUTH, CONFLICT_WITH_BODY, Context
from shared.contracts.outcome import Outcome, OutcomeRequest
from shared.http.dependencies import Recorder, UnitOfWorkDep

router = APIRouter(prefix="/v1", tags=["outcomes"], responses=AUTH)


@router.post(
    "/meetings/{meeting_id}/items/{item_id}/outcome",
    status_code=201,
    response_model=Outcome,
    responses=CONFLICT_WITH_BODY,
)
async def record_item_outcome(
    meeting_id: UUID, item_id: UUID, body: OutcomeRequest, who: Recorder, uow: UnitOfWorkDep, context: Context
) -> Outcome:
    """The meeting's decision for the item's case: a new outcome version that supersedes the previous one;
    the item becomes `discussed`. 409 for a deferred item (naming where the case went) or a withdrawn case;
    422 naming every failing field (a decision missing for a recommended or consider therapy, a reason code
    missing, a therapy twice, attendees not of the team or not covering the required specialties)."""
    return await outcomes.record_item_outcome(
        uow, meeting_id, item_id, body, role=who.role.value, actor=who.token_id, policy=context.policy
    )


@router.post(
    "/bookings/{booking_id}/outcome", status_code=201, response_model=Outcome, responses=CONFLICT_WITH_BODY
)
async def record_huddle_outcome(
    booking_id: UUID, body: OutcomeRequest, who: Recorder, uow: UnitOfWorkDep, context: Context
) -> Outcome:
    """The huddle's decision (attendees among its participants); otherwise as for an agenda item."""
    return await outcomes.record_huddle_outcome(
        uow, booking_id, body, role=who.role.value, actor=who.token_id, policy=context.policy
    )
