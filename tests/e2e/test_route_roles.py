"""Every route of every service against every role: 401 without a valid token, 403 for a role the contract
does not allow, and never 401/403 for one it does (contracts.md §5). Routes come from each service's own
OpenAPI document, so a new route without an entry here fails this test."""

import re
from typing import Any

import httpx
import pytest

from tests.support.services import TEST_TOKENS, Pipeline

pytestmark = pytest.mark.e2e

ROLES = tuple(TEST_TOKENS)
PUBLIC = {"/healthz", "/readyz", "/metrics"}
INTAKE_WRITE = {"integration"}
INTAKE_READ = {"integration", "ops"}
ELIGIBILITY = {"clinician", "coordinator", "ops"}
SCHEDULER_WRITE = {"coordinator"}
SCHEDULER_READ = {"coordinator", "clinician", "ops"}

ALLOWED: dict[str, dict[str, set[str]]] = {
    "intake": {
        "get": INTAKE_READ,
        "post": INTAKE_WRITE,
        "delete": INTAKE_WRITE,
        "put": INTAKE_WRITE,
        "patch": INTAKE_WRITE,
    },
    "eligibility": {"get": ELIGIBILITY, "post": ELIGIBILITY},
    "scheduler": {
        "get": SCHEDULER_READ,
        "post": SCHEDULER_WRITE,
        "patch": SCHEDULER_WRITE,
        "delete": SCHEDULER_WRITE,
        "put": SCHEDULER_WRITE,
    },
}
# Webhooks are the integration engine's alone, reads included (meetings.md §7).
INTEGRATION_ONLY_PREFIXES = {"intake": ("/v1/webhooks",)}
# MDT outcomes are recorded by coordinators and clinicians (meetings.md §6).
OUTCOME_RECORDERS = {"coordinator", "clinician"}
PLACEHOLDER = {
    "case_id": "00000000-0000-4000-8000-000000000000",
    "booking_id": "00000000-0000-4000-8000-000000000000",
    "webhook_id": "00000000-0000-4000-8000-000000000000",
    "delivery_id": "00000000-0000-4000-8000-000000000000",
}


def routes(pipeline: Pipeline, service: str) -> list[tuple[str, str]]:
    document: dict[str, Any] = httpx.get(f"{pipeline.url(service)}/openapi.json").json()
    found = []
    for path, operations in document["paths"].items():
        for method in operations:
            found.append((method, path))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDER.get(m.group(1), "1"), path)


@pytest.mark.parametrize("service", ["intake", "eligibility", "scheduler"])
def test_every_route_enforces_its_roles(pipeline: Pipeline, service: str) -> None:
    checked = 0
    for method, path in routes(pipeline, service):
        url = f"{pipeline.url(service)}{concrete(path)}"
        if path in PUBLIC:
            assert httpx.request(method, url).status_code not in (401, 403), path
            continue
        allowed = ALLOWED[service][method]
        if path.startswith(INTEGRATION_ONLY_PREFIXES.get(service, ())):
            allowed = INTAKE_WRITE
        if service == "scheduler" and method == "post" and path.endswith("/outcome"):
            allowed = OUTCOME_RECORDERS
        assert httpx.request(method, url).status_code == 401, f"{method} {path} without a token"
        assert httpx.request(method, url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
        assert httpx.request(method, url, headers={"Authorization": "Basic abc"}).status_code == 401
        for role in ROLES:
            status = httpx.request(
                method, url, headers={"Authorization": f"Bearer {TEST_TOKENS[role]}"}, json={}
            ).status_code
            if role in allowed:
                assert status not in (401, 403), f"{method} {path} refused {role}"
            else:
                assert status == 403, f"{method} {path} let {role} through ({status})"
        checked += 1
    assert checked >= 3
