"""Intake's API as the console uses it (contracts.md §5, meetings.md §6 readers). Intake lets `integration`
and `ops` read a case: for other roles the console shows what eligibility and the scheduler expose."""

from typing import Any
from uuid import UUID

from services.console.upstream.calls import Caller, UpstreamError
from shared.auth import Role

# contracts.md §5: intake's GET routes are for these roles only.
READERS = frozenset({Role.integration, Role.ops})


async def case_view(intake: Caller, role: Role, case_id: UUID) -> dict[str, Any] | None:
    """GET /v1/cases/{id}: status (`listed`, `discussed`, ...), `case_version`, `recommendation`, `booking`,
    and with meetings.md the latest `outcome`; None when the user's role may not read it."""
    if role not in READERS:
        return None
    try:
        view: dict[str, Any] = await intake.call("GET", f"/v1/cases/{case_id}")
    except UpstreamError as error:
        if error.status == 403:
            return None
        raise
    return view
