"""Templates and the values every page shows (who is signed in, the CSRF token, the flash message)."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.console.domain.reading import THERAPY_LABELS, VERDICT_LABELS, parse_instant, time_left
from services.console.pages.session import csrf_token

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")


def _local(value: Any, timezone: str = "Europe/London", fmt: str = "%a %d %b %H:%M") -> str:
    instant = value if isinstance(value, datetime) else parse_instant(value)
    if instant is None:
        return "—"
    return instant.astimezone(ZoneInfo(timezone)).strftime(fmt)


def _left(value: Any) -> str:
    instant = parse_instant(value)
    return time_left(instant, datetime.now(UTC)) if instant else "—"


def _overdue(value: Any) -> bool:
    instant = parse_instant(value)
    return instant is not None and instant < datetime.now(UTC)


def _short(value: Any) -> str:
    return str(value)[:8]


def _words(value: Any) -> str:
    return str(value or "").replace("_", " ")


templates.env.filters.update(local=_local, time_left=_left, overdue=_overdue, short=_short, words=_words)
templates.env.globals.update(THERAPY_LABELS=THERAPY_LABELS, VERDICT_LABELS=VERDICT_LABELS)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    session = request.session
    base = {
        "role": session.get("role"),
        "csrf_token": csrf_token(request),
        "flash": session.pop("flash", None),
        "timezone": request.app.state.settings.console_timezone,
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
