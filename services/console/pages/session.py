"""Who is signed in, the session's CSRF token, and the callers that talk to the services as that user.

The session is Starlette's signed cookie (itsdangerous, HttpOnly, SameSite=Strict); it holds the user's API
token and role, so the console keeps no state of its own. Every form carries the session's CSRF token."""

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

import httpx
from fastapi import Depends, Request

from services.console.settings import ConsoleSettings
from services.console.upstream.calls import Caller
from shared.auth import Role

MANAGES_AGENDAS = frozenset({Role.coordinator})
RECORDS_OUTCOMES = frozenset({Role.coordinator, Role.clinician})
MAY_SIGN_IN = frozenset({Role.coordinator, Role.clinician, Role.ops})


class NotSignedIn(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class Forbidden(Exception):
    def __init__(self, detail: str) -> None:
        self.detail = detail


class CsrfRefused(Exception):
    pass


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """Every POST carries the session's token in the form field `csrf_token` (SameSite=Strict is the first
    guard; this one also holds for browsers that ignore SameSite)."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.session.get("csrf")
    if (
        not isinstance(sent, str)
        or not expected
        or not hmac.compare_digest(sent.encode(), str(expected).encode())
    ):
        raise CsrfRefused()


@dataclass(frozen=True)
class User:
    role: Role
    token: str
    intake: Caller
    eligibility: Caller
    scheduler: Caller

    @property
    def manages_agendas(self) -> bool:
        return self.role in MANAGES_AGENDAS

    @property
    def records_outcomes(self) -> bool:
        return self.role in RECORDS_OUTCOMES


def signed_in(request: Request) -> User:
    token, role = request.session.get("token"), request.session.get("role")
    if not token or role not in {r.value for r in MAY_SIGN_IN}:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NotSignedIn(path if request.method == "GET" else "/")
    settings: ConsoleSettings = request.app.state.settings
    client: httpx.AsyncClient = request.app.state.http
    return User(
        role=Role(role),
        token=token,
        intake=Caller(client, settings.intake_url, token, "intake"),
        eligibility=Caller(client, settings.eligibility_url, token, "eligibility"),
        scheduler=Caller(client, settings.scheduler_url, token, "scheduler"),
    )


def may_manage_agendas(user: Annotated[User, Depends(signed_in)]) -> User:
    if not user.manages_agendas:
        raise Forbidden(f"the {user.role.value} role may not change agendas or meetings; coordinators do")
    return user


def may_record_outcomes(user: Annotated[User, Depends(signed_in)]) -> User:
    if not user.records_outcomes:
        raise Forbidden(f"the {user.role.value} role reads only; clinicians and coordinators record outcomes")
    return user


async def coordinator_posting(
    user: Annotated[User, Depends(may_manage_agendas)], _: Annotated[None, Depends(check_csrf)]
) -> User:
    return user


Reader = Annotated[User, Depends(signed_in)]
Coordinator = Annotated[User, Depends(coordinator_posting)]
OutcomeRecorder = Annotated[User, Depends(may_record_outcomes)]
CsrfChecked = Depends(check_csrf)


def sign_in_path(next_path: str) -> str:
    return "/sign-in" if next_path in ("", "/") else f"/sign-in?next={quote(next_path, safe='')}"


def safe_next(value: str | None) -> str:
    """Only a path of this site (no scheme, no //host): the sign-in form never redirects elsewhere."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/week"
    return value


def flash(request: Request, kind: str, text: str, errors: list[dict[str, str]] | None = None) -> None:
    request.session["flash"] = {"kind": kind, "text": text, "errors": errors or []}
