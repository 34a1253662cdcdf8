"""Composition root of the MDT console (issue 19): a server-rendered web application on the three services'
public APIs, with the signed-in user's token."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.console.pages import agenda, auth, case, outcome, week
from services.console.pages.rendering import render
from services.console.pages.session import CsrfRefused, Forbidden, NotSignedIn, sign_in_path
from services.console.settings import ConsoleSettings
from services.console.upstream.calls import SignInExpired, UpstreamError
from shared.auth import TokenTable
from shared.logging import configure_logging

SESSION_COOKIE = "mdt_console"
# No script, style or frame from elsewhere; forms post only here.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self._app(scope, receive, with_headers if scope["type"] == "http" else send)


def create_application(
    settings: ConsoleSettings | None = None, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`transport` replaces the network to the services (the tests' fake)."""
    settings = settings or ConsoleSettings()
    configure_logging()
    # httpx logs every request's URL at INFO: the console's access log would be its upstream calls.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(
            transport=transport, timeout=settings.upstream_timeout_seconds, trust_env=False
        ) as client:
            app.state.http = client
            yield

    app = FastAPI(title="MDT console", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.tokens = TokenTable.parse(settings.api_tokens.get_secret_value())
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.console_session_secret.get_secret_value(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.console_session_max_age_seconds,
        same_site="strict",
        https_only=settings.console_secure_cookie,
    )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for module in (auth, week, agenda, case, outcome):
        app.include_router(module.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> dict[str, bool]:
        return {"ready": True}

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(_: Request, exc: NotSignedIn) -> Response:
        return RedirectResponse(sign_in_path(exc.next_path), status_code=303)

    @app.exception_handler(SignInExpired)
    async def _expired(request: Request, _: SignInExpired) -> Response:
        request.session.clear()
        request.session["flash"] = {
            "kind": "error",
            "text": "Your token was refused; please sign in again.",
            "errors": [],
        }
        return RedirectResponse("/sign-in", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _: CsrfRefused) -> Response:
        return _error_page(
            request,
            403,
            "Form refused",
            "The form's security token is missing or out of date. Go back, reload the page and try again.",
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _error_page(request, 403, "Not allowed", exc.detail)

    @app.exception_handler(UpstreamError)
    async def _upstream(request: Request, exc: UpstreamError) -> Response:
        status = exc.status if 400 <= exc.status < 500 else 502
        return _error_page(
            request, status, f"{exc.service or 'A service'} answered {exc.status}", exc.detail, exc.errors
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "reason": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return _error_page(request, 422, "Invalid form", "Some values were not accepted.", errors)

    return app


def _error_page(
    request: Request, status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> HTMLResponse:
    return render(
        request, "error.html", {"title": title, "detail": detail, "errors": errors or []}, status_code=status
    )
