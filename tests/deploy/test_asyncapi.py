"""Each service's AsyncAPI document (served at /asyncapi.json) is valid AsyncAPI 3.0.0 by the AsyncAPI
Initiative's own JSON Schema (@asyncapi/specs, fetched by deploy/local/asyncapi-schema.sh), every reference
in it resolves, and it names every event type each topic carries."""

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from shared.contracts.asyncapi import asyncapi_document
from shared.contracts.events import EventType, Topic
from shared.contracts.messages import TOPIC_OF_EVENT
from tests.support.infrastructure import ROOT

SPECS = ROOT / ".local/asyncapi-specs/6.11.1/package/schemas/3.0.0-without-$id.json"

SERVICES = {
    "intake": ([Topic.case_events], [Topic.therapy_recommendations, Topic.mdt_bookings, Topic.mdt_outcomes]),
    "eligibility": ([Topic.therapy_recommendations], [Topic.case_events, Topic.mdt_outcomes]),
    "scheduler": (
        [Topic.mdt_bookings, Topic.mdt_outcomes],
        [Topic.therapy_recommendations, Topic.case_events],
    ),
}


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    if not SPECS.exists():
        pytest.fail(f"{SPECS} is missing: run deploy/local/asyncapi-schema.sh (make test does)")
    return Draft7Validator(json.loads(Path(SPECS).read_text()))


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_is_valid_asyncapi_3(service: str, validator: Draft7Validator) -> None:
    sends, receives = SERVICES[service]
    document = asyncapi_document(service=service, title=service, sends=sends, receives=receives)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:10])
    for ref in _refs(document):
        assert ref.startswith("#/"), ref
        _resolve(document, ref)  # raises KeyError when it does not resolve
    for topic in (*sends, *receives):
        names = {
            m["name"]
            for m in (_resolve(document, r["$ref"]) for r in document["channels"][topic]["messages"].values())
        }
        assert names == {e.value for e in EventType if TOPIC_OF_EVENT[e] is topic}


def test_a_broken_document_is_refused(validator: Draft7Validator) -> None:
    document = asyncapi_document(service="intake", title="intake", sends=[Topic.case_events], receives=[])
    document["operations"]["send-case-events"]["action"] = "publish"  # AsyncAPI 2's word, not 3's
    assert list(validator.iter_errors(document))
