"""Poison records go to `<topic>.dlq` with headers saying why and from where, and the pipeline moves on."""

import asyncio
import json
import uuid

import httpx
import pytest

from shared.contracts.events import EventEnvelope, EventType
from shared.kafka.dead_letters import read_dead_letters, replay
from shared.settings import ServiceSettings
from tests.support.cases import a_case
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import produce, read_topic
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e


async def test_poison_records_are_dead_lettered_and_the_pipeline_moves_on(
    pipeline: Pipeline, infrastructure: Infrastructure, topic_prefix: str
) -> None:
    settings = ServiceSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers, kafka_topic_prefix=topic_prefix
    )
    bootstrap = infrastructure.kafka_bootstrap_servers
    topic = f"{topic_prefix}case-events"
    marker = uuid.uuid4().hex[:8]
    bad_case = a_case()
    bad_case["patient"]["pseudonym"] = f"PSEUDO-{marker}"
    bad_case["pain"]["score"] = 11
    poisons = {
        "not-json": b"{this is not json",
        "not-an-envelope": json.dumps({"hello": marker}).encode(),
        "unhandled-type": EventEnvelope(
            event_type=EventType.booking_confirmed,
            case_id=uuid.uuid4(),
            case_version=1,
            payload={"m": marker},
        )
        .model_dump_json()
        .encode(),
        "bad-payload": EventEnvelope(
            event_type=EventType.case_submitted, case_id=uuid.uuid4(), case_version=1, payload=bad_case
        )
        .model_dump_json()
        .encode(),
    }
    for name, value in poisons.items():
        await produce(bootstrap, topic, value, key=name.encode(), headers=[("test.marker", marker.encode())])

    receipt = httpx.post(
        f"{pipeline.url('intake')}/v1/cases", json=a_case(), headers=auth("integration")
    ).json()
    eventually(
        lambda: (
            True
            if httpx.get(
                f"{pipeline.url('intake')}/v1/cases/{receipt['case_id']}", headers=auth("integration")
            ).json()["status"]
            in ("booked", "listed", "waitlisted")
            else None
        ),
        timeout=45,
    )

    letters = [
        d for d in await read_dead_letters(settings, "case-events") if d.headers.get("test.marker") == marker
    ]
    errors = {
        (d.key.decode() if d.key else "", d.headers["dlq.consumer"]): d.headers["dlq.error"] for d in letters
    }
    assert errors[("not-json", "eligibility")] == "invalid_envelope"
    assert errors[("not-an-envelope", "eligibility")] == "invalid_envelope"
    assert errors[("unhandled-type", "eligibility")] == "unknown_event_type"
    assert errors[("bad-payload", "eligibility")] == "invalid_payload"
    for letter in letters:
        assert letter.headers["dlq.original_topic"] == topic
        assert int(letter.headers["dlq.original_offset"]) >= 0
        assert letter.headers["dlq.original_partition"].isdigit()
        assert f"PSEUDO-{marker}" not in json.dumps(letter.headers)
    bad = next(d for d in letters if d.key == b"bad-payload" and d.headers["dlq.consumer"] == "eligibility")
    assert "pain.score" in bad.headers["dlq.detail"]


async def test_dead_letters_can_be_replayed_to_their_topic(
    pipeline: Pipeline, infrastructure: Infrastructure, topic_prefix: str
) -> None:
    settings = ServiceSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers, kafka_topic_prefix=topic_prefix
    )
    marker = uuid.uuid4().hex[:8]
    topic = f"{topic_prefix}therapy-recommendations"
    await produce(infrastructure.kafka_bootstrap_servers, topic, b"garbage", key=marker.encode())

    async def dead_lettered() -> list[int]:
        return [
            d.offset
            for d in await read_dead_letters(settings, "therapy-recommendations")
            if d.key == marker.encode()
        ]

    offsets: list[int] = []
    for _ in range(60):
        offsets = await dead_lettered()
        if offsets:
            break
        await asyncio.sleep(0.5)
    assert offsets, "the poison record never reached the dead-letter topic"
    before = [
        r for r in await read_topic(infrastructure.kafka_bootstrap_servers, topic) if r.key == marker.encode()
    ]
    assert await replay(settings, "therapy-recommendations", {offsets[0]}) == 1
    after = [
        r for r in await read_topic(infrastructure.kafka_bootstrap_servers, topic) if r.key == marker.encode()
    ]
    assert len(after) == len(before) + 1
    assert all(not k.startswith("dlq.") for k, _ in after[-1].headers)


async def test_a_bad_payload_is_dead_lettered_at_once_by_every_consumer_of_it(
    pipeline: Pipeline, infrastructure: Infrastructure, topic_prefix: str
) -> None:
    """The consumer checks the payload against its event type's model before any handler runs: a
    recommendation without its fields, or at a schema version nobody knows, reaches the dead letters as
    `invalid_payload` / `unknown_schema_version` from intake and the scheduler alike, never as a handler's
    repeated failure."""
    settings = ServiceSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers, kafka_topic_prefix=topic_prefix
    )
    marker = uuid.uuid4().hex[:8]
    topic = f"{topic_prefix}therapy-recommendations"
    records = {
        "missing-fields": EventEnvelope(
            event_type=EventType.recommendation_issued,
            case_id=uuid.uuid4(),
            case_version=1,
            payload={"urgency": "routine"},
        ),
        "unknown-version": EventEnvelope(
            event_type=EventType.recommendation_issued,
            schema_version=9,
            case_id=uuid.uuid4(),
            case_version=1,
            payload={},
        ),
    }
    for name, envelope in records.items():
        await produce(
            infrastructure.kafka_bootstrap_servers,
            topic,
            envelope.model_dump_json().encode(),
            key=name.encode(),
            headers=[("test.marker", marker.encode())],
        )

    errors: dict[tuple[str, str], str] = {}
    for _ in range(60):
        errors = {
            (d.key.decode() if d.key else "", d.headers["dlq.consumer"]): d.headers["dlq.error"]
            for d in await read_dead_letters(settings, "therapy-recommendations")
            if d.headers.get("test.marker") == marker
        }
        if len(errors) == 4:
            break
        await asyncio.sleep(0.5)
    assert errors == {
        ("missing-fields", "intake"): "invalid_payload",
        ("missing-fields", "scheduler"): "invalid_payload",
        ("unknown-version", "intake"): "unknown_schema_version",
        ("unknown-version", "scheduler"): "unknown_schema_version",
    }
