"""The team's week: meetings with minutes, quorum and lock state; the worklist with deadlines counting down."""

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.domain.reading import on_worklist, week_of
from services.console.pages.rendering import render
from services.console.pages.session import Reader
from services.console.upstream import scheduler
from services.console.upstream.calls import UpstreamError

router = APIRouter()
WORKLIST_TITLES = {
    "deadline_at_risk": "Deadline at risk (no place, deadline within 24 h)",
    "waitlisted": "Waitlisted (no place)",
    "late": "Listed after the deadline",
    "not_ready": "Not ready (meeting within 72 h)",
}


@router.get("/")
async def home() -> Response:
    return RedirectResponse("/week", status_code=303)


@router.get("/week", response_class=HTMLResponse)
async def week(request: Request, user: Reader, team: int | None = None, day: date | None = None) -> Response:
    try:
        teams = await scheduler.teams(user.scheduler)
    except UpstreamError as error:
        if error.status != 404:
            raise
        teams = []  # a scheduler without the meetings API: the worklist still shows
    chosen = next((t for t in teams if t.get("team_id") == team), teams[0] if teams else None)
    timezone = str((chosen or {}).get("timezone") or request.app.state.settings.console_timezone)
    now = datetime.now(UTC)
    span = week_of(day or now.date(), timezone)
    meetings: list[dict[str, Any]] = []
    if chosen is not None:
        meetings = await scheduler.meetings(user.scheduler, int(chosen["team_id"]), span.start, span.end)
    return render(
        request,
        "week.html",
        {
            "teams": teams,
            "team": chosen,
            "team_timezone": timezone,
            "week": span,
            "meetings": [_meeting_line(m) for m in meetings],
            "worklist": await _worklist(user, now),
            "worklist_titles": WORKLIST_TITLES,
        },
    )


def _meeting_line(meeting: dict[str, Any]) -> dict[str, Any]:
    attendance = meeting.get("attendance") or []
    return {
        **meeting,
        "expected": [a for a in attendance if a.get("response") == "expected"],
        "away": [a for a in attendance if a.get("response") != "expected"],
        "lacking": (meeting.get("quorum") or {}).get("lacking") or [],
        "quorum_met": (meeting.get("quorum") or {}).get("met"),
        "locked": meeting.get("status") in ("locked", "finished"),
    }


async def _worklist(user: Reader, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Each kind as the scheduler answers it, keeping only entries of that kind by their own fields."""
    return {
        kind: [e for e in await scheduler.worklist(user.scheduler, kind) if on_worklist(kind, e, now)]
        for kind in WORKLIST_TITLES
    }
