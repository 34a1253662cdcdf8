"""The outcome form of an agenda item or a huddle (meetings.md §6): one row per therapy, intent, the
decision-to-treat date and attendees; the API's 422 next to the fields it names; then the next item."""

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.domain import outcome_form
from services.console.pages.rendering import render
from services.console.pages.session import CsrfChecked, OutcomeRecorder, flash
from services.console.upstream import eligibility, scheduler
from services.console.upstream.calls import UpstreamError

router = APIRouter()


async def _item_context(user: OutcomeRecorder, meeting_id: UUID, item_id: UUID) -> dict[str, Any]:
    meeting = await scheduler.meeting(user.scheduler, meeting_id)
    agenda = await scheduler.agenda(user.scheduler, meeting_id)
    item = next((i for i in agenda if str(i.get("item_id")) == str(item_id)), None)
    if item is None:
        raise UpstreamError(404, "Not found", "this item is not on the meeting's agenda", service="scheduler")
    verdicts = dict(item.get("recommendation") or {})
    if not verdicts:
        verdicts = await _verdicts(user, UUID(str(item["case_id"])))
    attendance = meeting.get("attendance") or []
    return {
        "meeting": meeting,
        "agenda": agenda,
        "item": item,
        "case_id": item.get("case_id"),
        "verdicts": verdicts,
        "people": attendance,
        "expected": outcome_form.expected_attendees(attendance),
        "action": f"/meetings/{meeting_id}/items/{item_id}/outcome",
        "back": f"/meetings/{meeting_id}#item-{item_id}",
        "title": f"Outcome: item {item.get('position')} of the meeting",
    }


async def _huddle_context(user: OutcomeRecorder, booking_id: UUID) -> dict[str, Any]:
    booking = await scheduler.booking(user.scheduler, booking_id)
    participants = [{**p, "response": "expected"} for p in booking.get("participants") or []]
    return {
        "meeting": None,
        "agenda": [],
        "item": None,
        "case_id": booking.get("case_id"),
        "verdicts": await _verdicts(user, UUID(str(booking["case_id"]))),
        "people": participants,
        "expected": outcome_form.expected_attendees(participants),
        "action": f"/bookings/{booking_id}/outcome",
        "back": f"/cases/{booking.get('case_id')}",
        "title": "Outcome: huddle",
    }


async def _verdicts(user: OutcomeRecorder, case_id: UUID) -> dict[str, str]:
    recommendation = await eligibility.recommendation(user.eligibility, case_id)
    return {str(t["code"]): str(t["status"]) for t in recommendation.get("therapies") or []}


def _form_page(request: Request, context: dict[str, Any], **values: Any) -> Response:
    defaults = {
        "rows": outcome_form.prefilled_rows(context["verdicts"]),
        "intent": "",
        "decision_to_treat_date": "",
        "attendees": context["expected"],
        "further_investigations": [],
        "errors": {},
        "problem": None,
    }
    status = values.pop("status_code", 200)
    return render(
        request,
        "outcome.html",
        {
            **context,
            **defaults,
            **values,
            "decisions": outcome_form.DECISIONS,
            "reason_codes": outcome_form.REASON_CODES,
            "intents": outcome_form.INTENTS,
            "investigations": outcome_form.INVESTIGATIONS,
            "note_max": outcome_form.NOTE_MAX,
        },
        status_code=status,
    )


@router.get("/meetings/{meeting_id}/items/{item_id}/outcome", response_class=HTMLResponse)
async def item_outcome_form(
    request: Request, meeting_id: UUID, item_id: UUID, user: OutcomeRecorder
) -> Response:
    return _form_page(request, await _item_context(user, meeting_id, item_id))


@router.get("/bookings/{booking_id}/outcome", response_class=HTMLResponse)
async def huddle_outcome_form(request: Request, booking_id: UUID, user: OutcomeRecorder) -> Response:
    return _form_page(request, await _huddle_context(user, booking_id))


@router.post("/meetings/{meeting_id}/items/{item_id}/outcome", dependencies=[CsrfChecked])
async def record_item_outcome(
    request: Request, meeting_id: UUID, item_id: UUID, user: OutcomeRecorder
) -> Response:
    context = await _item_context(user, meeting_id, item_id)

    async def send(body: dict[str, Any]) -> dict[str, Any]:
        return await scheduler.record_item_outcome(user.scheduler, meeting_id, item_id, body)

    def after(outcome: dict[str, Any]) -> str:
        following = outcome_form.next_item(context["agenda"], str(item_id))
        if following is None:
            return f"/meetings/{meeting_id}"
        return f"/meetings/{meeting_id}/items/{following['item_id']}/outcome"

    return await _record(request, context, send, after)


@router.post("/bookings/{booking_id}/outcome", dependencies=[CsrfChecked])
async def record_huddle_outcome(request: Request, booking_id: UUID, user: OutcomeRecorder) -> Response:
    context = await _huddle_context(user, booking_id)

    async def send(body: dict[str, Any]) -> dict[str, Any]:
        return await scheduler.record_huddle_outcome(user.scheduler, booking_id, body)

    return await _record(request, context, send, lambda _: f"/cases/{context['case_id']}")


async def _record(
    request: Request,
    context: dict[str, Any],
    send: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
    after: Callable[[dict[str, Any]], str],
) -> Response:
    form = await request.form()
    fields = {key: str(value) for key, value in form.items()}
    rows = outcome_form.rows_from_form(context["verdicts"], fields)
    attendees = [str(a) for a in form.getlist("attendees")]
    investigations = [str(i) for i in form.getlist("further_investigations")]
    body = outcome_form.outcome_request(
        rows,
        intent=fields.get("intent", ""),
        decision_to_treat_date=fields.get("decision_to_treat_date", ""),
        attendees=attendees,
        further_investigations=investigations,
    )
    try:
        outcome = await send(body)
    except UpstreamError as error:
        if error.status not in (409, 422):
            raise
        return _form_page(
            request,
            context,
            rows=rows,
            intent=fields.get("intent", ""),
            decision_to_treat_date=fields.get("decision_to_treat_date", ""),
            attendees=[int(a) for a in attendees if a.isdigit()],
            further_investigations=investigations,
            errors=outcome_form.form_errors(body, error.errors),
            problem=error,
            status_code=error.status,
        )
    flash(request, "ok", f"Outcome recorded (version {outcome.get('version', 1)}).")
    return RedirectResponse(after(outcome), status_code=303)
