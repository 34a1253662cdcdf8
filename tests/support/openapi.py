"""schemathesis against a running service's own OpenAPI document: no 5xx, and no response (status, content
type, body) outside what the document says.

schemathesis's pytest loader (`schemathesis.pytest.from_fixture`) does not work with pytest 9 (it reads
`request.node._nodeid`, which pytest 9 dropped), so each operation's strategy is driven by Hypothesis here."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

MAX_EXAMPLES = 30
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


def load_schema(base_url: str) -> Any:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=30)
    schema.config.update(base_url=base_url)
    return schema


def documented_operations(schema: Any) -> set[tuple[str, str]]:
    return {(result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()}


def runs(operations: list[tuple[str, str]], *, without_negative: tuple[str, ...] = ()) -> list[Any]:
    """Positive data for every operation; negative data where there is something to break (a /v1/ route
    that takes parameters or a body)."""
    return [
        pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
        for method, path in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if mode == GenerationMode.POSITIVE or (path.startswith("/v1/") and path not in without_negative)
    ]


def check_operation(
    schema: Any, base_url: str, headers: dict[str, str], method: str, path: str, mode: GenerationMode
) -> None:
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def check(case: Any) -> None:
        case.call_and_validate(
            base_url=base_url, headers={**headers, **(case.headers or {})}, checks=CHECKS, timeout=30
        )

    check()
