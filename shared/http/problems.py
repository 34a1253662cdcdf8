"""RFC 9457 problem+json responses, with the failing field paths for validation errors."""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, EmulatedDBAPIException
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.contracts.case import field_path
from shared.db.errors import is_transient
from shared.errors import ConflictError, DomainError, InvalidRequestError, NotFoundError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error of these APIs is answered (for the OpenAPI document)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


def problem_responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error statuses answered with problem+json; `descriptions` keyed
    `s404="unknown case"` override the standard reason phrase."""
    schema = Problem.model_json_schema()
    return {
        status: {
            "description": descriptions.get(f"s{status}", HTTPStatus(status).phrase),
            "content": {PROBLEM_JSON: {"schema": schema}},
        }
        for status in statuses
    }


class ProblemError(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers) if headers else None
    )


def validation_errors(raw_errors: Any, *, drop_prefix: int = 0) -> list[dict[str, str]]:
    """pydantic errors -> [{"field": "lesions[0].spine_level", "reason": "..."}]; never echoes input values."""
    out = []
    for error in raw_errors:
        loc = tuple(error.get("loc", ()))[drop_prefix:]
        reason = str(error.get("msg", "invalid"))
        out.append({"field": field_path(loc) or "body", "reason": reason.removeprefix("Value error, ")})
    return out


# Every refusal a use case raises gets its status here, and only here.
STATUS_OF_DOMAIN_ERROR: dict[type[DomainError], int] = {
    NotFoundError: 404,
    ConflictError: 409,
    InvalidRequestError: 422,
}


def problem_of(error: DomainError) -> ProblemError:
    """The problem+json answer to a use case's refusal: the first listed kind it is an instance of."""
    status = next((code for kind, code in STATUS_OF_DOMAIN_ERROR.items() if isinstance(error, kind)), 422)
    errors = [problem.as_error() for problem in error.problems] if error.problems is not None else None
    return ProblemError(status, error.title, error.detail, errors=errors)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _refused(_: Request, exc: DomainError) -> JSONResponse:
        problem = problem_of(exc)
        return problem_response(problem.status, problem.title, problem.detail, errors=problem.errors)

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, errors=exc.errors, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem_response(400, "Malformed JSON", "the request body is not valid JSON")
        # FastAPI prefixes body errors with ("body",); the contract's paths start at the case's fields.
        fields = [
            {**item, "field": item["field"].removeprefix("body.").removeprefix("body") or "body"}
            for item in validation_errors(errors)
        ]
        return problem_response(
            422, "Invalid request", f"{len(fields)} field(s) failed validation", errors=fields
        )

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(OSError)
    # Raised without SQLAlchemy's wrapping by statements sent to the driver (shared/db/driver.py): asyncpg's
    # own errors, and those of SQLAlchemy's asyncpg adapter when the transaction is begun there.
    @app.exception_handler(asyncpg.PostgresError)
    @app.exception_handler(asyncpg.InterfaceError)
    @app.exception_handler(asyncpg.InternalClientError)
    @app.exception_handler(EmulatedDBAPIException)
    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        if not is_transient(exc):
            log.error("database error answered 500: %s", type(exc).__name__)
            return problem_response(500, "Internal error", "the request could not be completed")
        # The database is away: nothing was accepted, and the caller may retry the same request safely.
        return problem_response(
            503,
            "Service unavailable",
            "a dependency is unavailable; nothing was stored, retry later",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), str(exc.detail), headers=exc.headers)
