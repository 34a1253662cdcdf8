"""One HTTP call to a service, with the signed-in user's token, and its problem+json errors as exceptions."""

from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class UpstreamError(Exception):
    """A 4xx/5xx answer of a service: its problem+json `detail` and the fields it names."""

    status: int
    title: str
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)
    service: str = ""

    def __str__(self) -> str:
        return f"{self.service} answered {self.status}: {self.detail}"


class SignInExpired(UpstreamError):
    """A 401: the token is not (or no longer) valid for the service; the user signs in again."""


class ServiceUnreachable(UpstreamError):
    """The service did not answer (refused, timed out)."""


@dataclass(frozen=True)
class Caller:
    """Calls one service as the signed-in user."""

    client: httpx.AsyncClient
    base_url: str
    token: str
    service: str

    async def call(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> Any:
        try:
            response = await self.client.request(
                method,
                self.base_url.rstrip("/") + path,
                params={k: v for k, v in (params or {}).items() if v is not None},
                json=json,
                headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
            )
        except httpx.HTTPError as error:
            raise ServiceUnreachable(
                503,
                "Service unavailable",
                f"{self.service} did not answer ({type(error).__name__})",
                service=self.service,
            ) from None
        if response.status_code >= 400:
            raise _error(response, self.service)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()


def _error(response: httpx.Response, service: str) -> UpstreamError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    errors = [
        {"field": str(e.get("field", "")), "reason": str(e.get("reason", ""))}
        for e in body.get("errors") or []
        if isinstance(e, dict)
    ]
    kind = SignInExpired if response.status_code == 401 else UpstreamError
    return kind(
        response.status_code,
        str(body.get("title") or response.reason_phrase),
        str(body.get("detail") or response.reason_phrase),
        errors,
        service,
    )
