"""schemathesis' stateful phase against a running service: sequences of calls chained by the OpenAPI links of
its own document (shared/http/openapi_links.py), each answer checked as in tests/support/openapi.py, plus the
stateful check that what a POST created is found by the linked read.
Only the document's links are followed (no inferred ones), so a run shows what those links do.

schemathesis' own engine runs the phase (as `st run --phases=stateful` would, in-process): a hand-driven
Hypothesis state machine over a live API trips Hypothesis' flakiness detection (a replayed choice meets a
changed server), which the engine handles. `run_stateful` returns every step made, with the step it was
linked from, so a test asserts that the sequences it relies on actually ran (not only that nothing failed)."""

from collections.abc import Collection, Container, Mapping
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.engine import Status, events
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.engine.run import PhaseName

STATEFUL_CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "ensure_resource_availability",
]
# Not `use_after_free` (a read after a DELETE must be a 404): here a DELETE records a state and the resource
# stays readable: a withdrawn case (its status `withdrawn`), an ended series (`active` false).
SHOWN_PER_FAILURE = 2000


@dataclass(frozen=True)
class Step:
    operation: str  # "GET /v1/cases/{case_id}"
    status: int
    linked_from: str | None  # the operation whose answer gave this step its link values


@dataclass
class StatefulRun:
    steps: list[Step] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def linked(self, source: str, target: str, statuses: Container[int] = range(200, 300)) -> list[Step]:
        """Steps of `target` that took values from an answer of `source`, answered with one of `statuses`."""
        return [
            step
            for step in self.steps
            if step.operation == target and step.linked_from == source and step.status in statuses
        ]

    def merge(self, other: "StatefulRun") -> None:
        self.steps += other.steps
        self.failures += other.failures
        self.errors += other.errors

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for step in self.steps:
            key = f"{step.linked_from or 'RANDOM'} -> {step.operation}: {step.status}"
            counts[key] = counts.get(key, 0) + 1
        lines = [f"{count:4} {key}" for key, count in sorted(counts.items())]
        return "\n".join([*lines, *self.failures, *self.errors])

    def record(self, recorder: ScenarioRecorder) -> None:
        for case_id, node in recorder.cases.items():
            interaction = recorder.interactions.get(case_id)
            if interaction is None or interaction.response is None:
                continue
            parent = recorder.cases.get(node.parent_id) if node.parent_id else None
            linked_from = (
                parent.value.operation.label if parent is not None and node.is_transition_applied else None
            )
            self.steps.append(Step(node.value.operation.label, interaction.response.status_code, linked_from))
        for checks in recorder.checks.values():
            for check in checks:
                if check.status == Status.FAILURE and check.failure_info is not None:
                    failure = check.failure_info.failure
                    shown = (
                        f"{check.name}: {failure.title}\n{failure.message}\n{check.failure_info.code_sample}"
                    )
                    self.failures.append(shown[:SHOWN_PER_FAILURE])


def run_stateful(
    base_url: str,
    headers: dict[str, str],
    *,
    scenarios: int,
    steps_per_scenario: int,
    max_seconds: int,
    seed: int = 7,
    checks: list[str] = STATEFUL_CHECKS,
    realistic: Mapping[str, st.SearchStrategy[Any]] | None = None,
    operations: Collection[str] | None = None,
) -> StatefulRun:
    """At most `scenarios` sequences of at most `steps_per_scenario` calls each, within `max_seconds`.

    `realistic` bodies (by operation, "POST /v1/cases") are drawn for about half of that operation's positive
    cases: a body merely valid against the schema is mostly refused by the service's own rules (a clinically
    inconsistent case, a window off the 15-minute grid), and a refused create feeds no link. Values a link
    carries (a team_id) still replace the drawn ones. `operations` ("GET /v1/meetings", ...) keeps those
    only, so that a short run goes deep into their sequences rather than wide across the API."""
    schema: Any = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=30)
    if operations is not None:
        kept = set(operations)
        schema = schema.include(lambda context: context.operation.label in kept)
        assert len(list(schema.get_all_operations())) == len(kept), f"not all of {kept} are in the document"
    if realistic:
        _draw_realistic_bodies(schema, realistic)
    config = schema.config
    config.update(base_url=base_url, headers=headers, request_timeout=30)
    config.max_time = max_seconds
    config.seed = seed
    config.phases.update(phases=["stateful"])
    config.phases.stateful.max_steps = steps_per_scenario
    config.phases.stateful.inference.algorithms = []
    config.checks.update(included_check_names=checks)
    config.generation.update(max_examples=scenarios)
    run = StatefulRun()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.phase == PhaseName.STATEFUL_TESTING:
            run.record(event.recorder)
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            run.errors.append(repr(event.exception))
    return run


def _draw_realistic_bodies(schema: Any, realistic: Mapping[str, st.SearchStrategy[Any]]) -> None:
    def with_body(case: Any, body: Any) -> Any:
        case.body = body
        return case

    def flatmap_case(context: Any, case: Any) -> st.SearchStrategy[Any]:
        bodies = realistic.get(case.operation.label)
        positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
        if bodies is None or not positive or "json" not in (case.media_type or ""):
            return st.just(case)
        return st.one_of(st.just(case), bodies.map(lambda body: with_body(case, body)))

    schema.hook(flatmap_case)  # this schema's cases only, by the hook's name
