"""Eligibility's API as the console uses it (contracts.md §3, §5)."""

from typing import Any
from uuid import UUID

from services.console.upstream.calls import Caller


async def recommendation(eligibility: Caller, case_id: UUID) -> dict[str, Any]:
    """GET /v1/recommendations/{case_id}: the recommendation of contracts.md §3, with `discussion` and
    `discussion_reasons` (clinical-rules.md §7) when the ruleset gives them."""
    result: dict[str, Any] = await eligibility.call("GET", f"/v1/recommendations/{case_id}")
    return result
