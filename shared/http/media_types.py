"""Content negotiation for request bodies: a JSON route answers 415 to any other declared media type."""

import email.message
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request

from shared.http.problems import ProblemError

JSON = "application/json"


def is_json_media_type(content_type: str | None) -> bool:
    """application/json or any application/*+json (e.g. application/fhir+json), parameters ignored."""
    if not content_type:
        return False
    if content_type == JSON:  # nearly every request: no header parsing
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


async def body_is_unsupported(request: Request) -> bool:
    """True when the request carries a body whose declared media type is not JSON (or not declared)."""
    if is_json_media_type(request.headers.get("content-type")):
        return False
    return bool(await request.body())


def require_json_body() -> Callable[[Request], Coroutine[Any, Any, None]]:
    """A dependency: 415 problem+json when a body is sent with a non-JSON Content-Type (or none)."""

    async def dependency(request: Request) -> None:
        if await body_is_unsupported(request):
            raise ProblemError(
                415,
                "Unsupported media type",
                f"the request body must be {JSON}, not {request.headers.get('content-type') or 'undeclared'}",
            )

    return dependency
