"""What the scheduler's routes need beyond the shared dependencies (the unit of work and the caller's role,
shared/http/dependencies.py): the booking policy, the worklist retrier and the clinic's time zone, set on the
app's state by main.py; and the OpenAPI `responses` the routes declare."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from services.scheduler.service import BookingPolicy
from services.scheduler.worklist import WorklistRetrier
from shared.http.problems import problem_responses


@dataclass(frozen=True)
class ApiContext:
    policy: BookingPolicy
    retrier: WorklistRetrier
    clinic_timezone: str


async def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.scheduler_api
    return context


Context = Annotated[ApiContext, Depends(_context)]

Responses = dict[int | str, dict[str, Any]]
AUTH: Responses = problem_responses(
    401, 403, s401="no or invalid bearer token", s403="the token's role may not do this"
)
INVALID: Responses = problem_responses(422, s422="invalid request: the failing fields are listed")
MALFORMED: Responses = problem_responses(400, s400="the body is not valid JSON")
WITH_BODY: Responses = {**INVALID, **MALFORMED}
NOT_FOUND: Responses = {**problem_responses(404, s404="unknown id"), **INVALID}
CONFLICT: Responses = {**NOT_FOUND, **problem_responses(409, s409="conflict; `detail` gives the reason")}
NOT_FOUND_WITH_BODY: Responses = {**NOT_FOUND, **MALFORMED}
CONFLICT_WITH_BODY: Responses = {**CONFLICT, **MALFORMED}
