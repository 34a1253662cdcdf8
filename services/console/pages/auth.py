"""Sign-in with an API token (its role from API_TOKENS), sign-out."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.pages.rendering import render
from services.console.pages.session import MAY_SIGN_IN, CsrfChecked, csrf_token, safe_next
from shared.auth import Role, TokenTable

router = APIRouter()


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: str | None = None) -> Response:
    return render(request, "sign_in.html", {"next": safe_next(next), "error": None})


@router.post("/sign-in", dependencies=[CsrfChecked])
async def sign_in(
    request: Request, token: Annotated[str, Form(max_length=512)] = "", next: Annotated[str, Form()] = ""
) -> Response:
    tokens: TokenTable = request.app.state.tokens
    principal = tokens.identify(token.strip()) if token.strip() else None
    error = None
    if principal is None:
        error = "That token is not valid. Ask your administrator for a console token."
    elif principal.role == Role.integration:
        error = "The integration role is for the hospital's systems and cannot sign in to the console."
    elif principal.role not in MAY_SIGN_IN:
        error = "This role cannot sign in to the console."
    if error or principal is None:
        return render(request, "sign_in.html", {"next": safe_next(next), "error": error}, status_code=401)
    request.session.clear()
    request.session.update({"token": token.strip(), "role": principal.role.value})
    csrf_token(request)  # a new CSRF token with the new session
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/sign-out", dependencies=[CsrfChecked])
async def sign_out(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/sign-in", status_code=303)
