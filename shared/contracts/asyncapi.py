"""The AsyncAPI 3.0 document of a service's topics, generated from the same pydantic models the services use
on the wire (shared/contracts/messages.py), so the document cannot drift from the code. Served by each service
at /asyncapi.json and validated against the AsyncAPI 3.0.0 JSON Schema in the tests."""

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from shared.contracts.events import EventType, Topic
from shared.contracts.messages import PAYLOAD_MODELS, TOPIC_OF_EVENT

SCHEMAS = "#/components/schemas/"
KAFKA_BINDING_VERSION = "0.5.0"

TOPIC_DESCRIPTIONS = {
    Topic.case_events: "Cases accepted by intake: submitted, updated (a new version), withdrawn.",
    Topic.therapy_recommendations: "Eligibility's recommendation for each case version.",
    Topic.mdt_bookings: "Where the scheduler placed each case: confirmed, rescheduled, waitlisted, cancelled.",
    Topic.mdt_outcomes: "What an MDT decided for a case (each recording is a new version).",
}

HEADERS = {
    "type": "object",
    "properties": {
        "traceparent": {"type": "string", "description": "W3C trace context of the case's trace"},
        "tracestate": {"type": "string"},
        "event_type": {"type": "string", "enum": [e.value for e in EventType]},
    },
    "required": ["event_type"],
}


def _message_key(event_type: EventType, version: int) -> str:
    return f"{event_type.value}.v{version}"


def _envelope(event_type: EventType, version: int, model: type[BaseModel]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "event_id",
            "event_type",
            "schema_version",
            "occurred_at",
            "case_id",
            "case_version",
            "payload",
        ],
        "properties": {
            "event_id": {"type": "string", "format": "uuid", "description": "consumers de-duplicate on it"},
            "event_type": {"type": "string", "const": event_type.value},
            "schema_version": {"type": "integer", "const": version},
            "occurred_at": {"type": "string", "format": "date-time"},
            "case_id": {"type": "string", "format": "uuid", "description": "also the record key"},
            "case_version": {"type": "integer"},
            "payload": {"$ref": SCHEMAS + model.__name__},
        },
    }


def _model_schemas(models: Iterable[type[BaseModel]]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=SCHEMAS + "{model}", mode="serialization")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def asyncapi_document(
    *, service: str, title: str, sends: Iterable[Topic], receives: Iterable[Topic]
) -> dict[str, Any]:
    sends, receives = list(sends), list(receives)
    topics = [topic for topic in Topic if topic in sends or topic in receives]
    entries = [(event_type, version, model) for (event_type, version), model in PAYLOAD_MODELS.items()]
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    for topic in topics:
        channel_messages = {}
        for event_type, version, model in entries:
            if TOPIC_OF_EVENT[event_type] is not topic:
                continue
            key = _message_key(event_type, version)
            messages[key] = {
                "name": event_type.value,
                "title": f"{event_type.value}, schema version {version}",
                "contentType": "application/json",
                "headers": HEADERS,
                "payload": _envelope(event_type, version, model),
                "bindings": {
                    "kafka": {
                        "key": {"type": "string", "format": "uuid", "description": "case_id"},
                        "bindingVersion": KAFKA_BINDING_VERSION,
                    }
                },
            }
            channel_messages[key] = {"$ref": f"#/components/messages/{key}"}
        channels[topic.value] = {
            "address": topic.value,
            "description": TOPIC_DESCRIPTIONS[topic]
            + " Records that can never be applied go to the same name with `.dlq`.",
            "messages": channel_messages,
        }
    operations: dict[str, Any] = {}
    for action, chosen in (("send", sends), ("receive", receives)):
        for topic in chosen:
            operations[f"{action}-{topic.value}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{topic.value}"},
                "messages": [
                    {"$ref": f"#/channels/{topic.value}/messages/{key}"}
                    for key in channels[topic.value]["messages"]
                ],
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": title,
            "version": "1",
            "description": f"The Kafka topics that {service} publishes and consumes. Delivery is at least once; "
            "every consumer is idempotent on event_id. Keys are case ids, so one case's events stay in order.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "localhost:9092",
                "protocol": "kafka",
                "description": "the local broker of `make run` (topic names may carry a deployment prefix)",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": _model_schemas(m for e, _, m in entries if TOPIC_OF_EVENT[e] in topics),
        },
    }
