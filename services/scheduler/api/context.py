"""What the route modules of the meetings API depend on, as FastAPI dependencies: the session factory, the
booking policy, the worklist retrier and the relay's wake-up (set on the app's state by main.py), and the
caller's role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from services.scheduler.coordination import ConflictError, InvalidRequestError, NotFoundError
from services.scheduler.meetings import MeetingConflictError
from services.scheduler.service import BookingPolicy
from services.scheduler.worklist import WorklistRetrier
from shared.auth import Principal, Role, TokenTable, require_roles
from shared.db.engine import SessionFactory
from shared.http.problems import ProblemError, problem_responses


@dataclass(frozen=True)
class ApiContext:
    sessions: SessionFactory
    tokens: TokenTable
    policy: BookingPolicy
    retrier: WorklistRetrier
    on_commit: Callable[[], None]


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.scheduler_api
    return context


Context = Annotated[ApiContext, Depends(_context)]


async def _writer(request: Request) -> Principal:
    return await require_roles(_context(request).tokens, Role.coordinator)(request)


async def _reader(request: Request) -> Principal:
    return await require_roles(_context(request).tokens, Role.coordinator, Role.clinician, Role.ops)(request)


Writer = Annotated[Principal, Depends(_writer)]
Reader = Annotated[Principal, Depends(_reader)]

Responses = dict[int | str, dict[str, Any]]
AUTH: Responses = problem_responses(
    401, 403, s401="no or invalid bearer token", s403="the token's role may not do this"
)
INVALID: Responses = problem_responses(
    400, 422, s400="the body is not valid JSON", s422="invalid request: the failing fields are listed"
)
NOT_FOUND: Responses = {**problem_responses(404, s404="unknown id"), **INVALID}
CONFLICT: Responses = {**NOT_FOUND, **problem_responses(409, s409="conflict; `detail` gives the reason")}
FAILURES = (NotFoundError, ConflictError, InvalidRequestError, LookupError)


def translate(error: Exception) -> ProblemError:
    """404 unknown ids, 422 a bad field (named), 409 a state that forbids the change (named)."""
    if isinstance(error, NotFoundError | LookupError):
        return ProblemError(404, "Not found", str(error) or "unknown id")
    if isinstance(error, InvalidRequestError):
        return ProblemError(
            422, "Invalid request", error.reason, errors=[{"field": error.field, "reason": error.reason}]
        )
    if isinstance(error, MeetingConflictError):
        return ProblemError(409, "Conflict", str(error), errors=[{"field": "status", "reason": error.status}])
    return ProblemError(409, "Conflict", str(error))
