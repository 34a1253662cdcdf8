"""A case as a clinician reads it: the recommendation (alerts first) and the case's history of placements
and outcomes, as far as the user's role may read them."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.domain.reading import inputs_of_ruleset_2027_01, read_recommendation
from services.console.pages.rendering import render
from services.console.pages.session import Reader
from services.console.upstream import eligibility, intake, scheduler
from services.console.upstream.calls import UpstreamError

router = APIRouter()


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(request: Request, case_id: UUID, user: Reader) -> Response:
    try:
        recommendation = read_recommendation(await eligibility.recommendation(user.eligibility, case_id))
    except UpstreamError as error:
        if error.status != 404:
            raise
        recommendation = None
    placements = [
        await _with_item(user, p) for p in await scheduler.bookings_of_case(user.scheduler, case_id)
    ]
    view = await intake.case_view(user.intake, user.role, case_id)
    submission = (view or {}).get("submission")
    return render(
        request,
        "case.html",
        {
            "case_id": case_id,
            "recommendation": recommendation,
            "placements": placements,
            "intake_view": view,
            "inputs": inputs_of_ruleset_2027_01(submission) if isinstance(submission, dict) else None,
            "status": _status(view, placements, recommendation is not None),
            "outcome": (view or {}).get("outcome"),
            "records": user.records_outcomes,
        },
    )


async def _with_item(user: Reader, placement: dict[str, Any]) -> dict[str, Any]:
    """A meeting placement with its agenda item (whose status says `discussed`)."""
    meeting_id, item_id = placement.get("meeting_id"), placement.get("item_id")
    if placement.get("kind") != "meeting" or not meeting_id or not item_id:
        return {**placement, "item": None}
    try:
        items = await scheduler.agenda(user.scheduler, UUID(str(meeting_id)))
    except UpstreamError:
        items = []
    return {**placement, "item": next((i for i in items if str(i.get("item_id")) == str(item_id)), None)}


def _status(view: dict[str, Any] | None, placements: list[dict[str, Any]], evaluated: bool) -> str:
    """Intake's pipeline status when the role may read it; otherwise what the scheduler shows."""
    if view is not None and view.get("status"):
        return str(view["status"])
    if any((p.get("item") or {}).get("status") == "discussed" for p in placements):
        return "discussed"
    active = [p for p in placements if p.get("status") != "cancelled"]
    if active:
        latest = active[-1]
        if latest.get("status") == "confirmed":
            return "listed" if latest.get("kind") == "meeting" else "booked"
        return str(latest.get("status"))
    return "evaluated" if evaluated else "received"
