"""Bearer-token roles (contracts.md §5): API_TOKENS is `role:token,role:token`."""

import hashlib
import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import Request
from fastapi.security.utils import get_authorization_scheme_param

from shared.http.problems import ProblemError


class Role(StrEnum):
    integration = "integration"
    coordinator = "coordinator"
    clinician = "clinician"
    ops = "ops"


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    # A digest of the token, never the token: names who acted in audit records.
    token_id: str


class TokenTable:
    def __init__(self, entries: list[tuple[Role, str]]) -> None:
        self._entries = entries

    @classmethod
    def parse(cls, raw: str) -> "TokenTable":
        entries: list[tuple[Role, str]] = []
        for item in filter(None, (part.strip() for part in raw.split(","))):
            role, sep, token = item.partition(":")
            if not sep or not token:
                raise ValueError("API_TOKENS entries must look like role:token")
            try:
                entries.append((Role(role), token))
            except ValueError:
                raise ValueError(f"API_TOKENS names an unknown role {role!r}") from None
        return cls(entries)

    def token_for(self, role: Role) -> str | None:
        """The first token of a role: for the project's own tools (seed, tests), never for requests."""
        return next((token for known_role, token in self._entries if known_role == role), None)

    def identify(self, token: str) -> Principal | None:
        # Compare against every entry, in constant time each, so timing does not reveal a prefix match.
        found: Principal | None = None
        presented = token.encode()
        for role, known in self._entries:
            if hmac.compare_digest(presented, known.encode()) and found is None:
                found = Principal(role=role, token_id=hashlib.sha256(presented).hexdigest()[:12])
        return found


def caller_with(*roles: Role) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A module-level route dependency: the caller, who must hold one of `roles`, checked against the token
    table the composition root put on `app.state.tokens`."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        return _authorize(request.app.state.tokens, allowed, request)

    return dependency


def bearer_token(authorization: str | None) -> str | None:
    """The credentials of an `Authorization: Bearer ...` header; None for any other header or none."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    return credentials if scheme.lower() == "bearer" and credentials else None


def _authorize(tokens: TokenTable, allowed: frozenset[Role], request: Request) -> Principal:
    credentials = bearer_token(request.headers.get("Authorization"))
    if credentials is None:
        raise ProblemError(
            401, "Unauthorized", "a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    principal = tokens.identify(credentials)
    if principal is None:
        raise ProblemError(
            401, "Unauthorized", "the bearer token is not valid", headers={"WWW-Authenticate": "Bearer"}
        )
    if principal.role not in allowed:
        raise ProblemError(
            403,
            "Forbidden",
            f"role {principal.role.value} may not do this; needs one of {sorted(role.value for role in allowed)}",
        )
    return principal
