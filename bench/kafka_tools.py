"""Kafka helpers of the pipeline benchmark: topics of a prefix, end offsets, consumer-group lag, producing a
backlog of case events, reading booking records. Everything talks to 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.contracts.events import EventEnvelope, EventType, Topic
from shared.kafka.topics import ensure_topics
from shared.settings import ServiceSettings


async def create_prefix_topics(bootstrap: str, prefix: str) -> None:
    """The pipeline's topics for a prefix, as the services create them (6 partitions, plus .dlq)."""
    await ensure_topics(ServiceSettings(kafka_bootstrap_servers=bootstrap, kafka_topic_prefix=prefix))


async def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()


async def delete_topics_with_prefix(bootstrap: str, prefix: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
        return len(names)
    finally:
        await admin.close()


@dataclass
class Offsets:
    """End offsets of topics and committed offsets of consumer groups, read through one client pair."""

    bootstrap: str
    _consumer: Any = None
    _admin: Any = None
    _partitions: dict[str, list[TopicPartition]] = field(default_factory=dict)

    async def __aenter__(self) -> Offsets:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
        await self._consumer.start()
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await self._admin.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def partitions(self, topic: str) -> list[TopicPartition]:
        if topic not in self._partitions:
            described = await self._admin.describe_topics([topic])
            numbers = sorted(p["partition"] for p in described[0]["partitions"])
            if not numbers:
                raise LookupError(f"topic {topic} has no partitions")
            self._partitions[topic] = [TopicPartition(topic, n) for n in numbers]
        return self._partitions[topic]

    async def end_offsets(self, topics: Iterable[str]) -> dict[TopicPartition, int]:
        parts = [tp for topic in topics for tp in await self.partitions(topic)]
        ends: dict[TopicPartition, int] = await self._consumer.end_offsets(parts)
        return ends

    async def end_total(self, topic: str) -> int:
        return sum((await self.end_offsets([topic])).values())

    async def committed(self, group: str) -> dict[TopicPartition, int]:
        offsets = await self._admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}

    async def lag(self, group: str, topics: Iterable[str]) -> int:
        """End offsets minus the group's committed offsets, summed over the topics' partitions."""
        topics = list(topics)
        ends = await self.end_offsets(topics)
        committed = await self.committed(group)
        return sum(max(end - committed.get(tp, 0), 0) for tp, end in ends.items())

    async def committed_total(self, group: str, topic: str) -> int:
        return sum(offset for tp, offset in (await self.committed(group)).items() if tp.topic == topic)


async def produce_case_backlog(bootstrap: str, topic: str, bodies: list[dict[str, Any]]) -> float:
    """`case.submitted` envelopes for new case ids, keyed by case id, as intake's relay writes them.
    Returns the seconds it took (acks=all, idempotent, like the services' producer)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20, max_batch_size=262144
    )
    await producer.start()
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        futures = []
        for body in bodies:
            envelope = EventEnvelope(
                event_type=EventType.case_submitted, case_id=uuid.uuid4(), case_version=1, payload=body
            )
            futures.append(
                await producer.send(
                    topic,
                    value=envelope.model_dump_json().encode(),
                    key=str(envelope.case_id).encode(),
                    headers=[("event_type", EventType.case_submitted.value.encode())],
                )
            )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return loop.time() - began


@dataclass(frozen=True)
class BookingRecord:
    case_id: str
    event_type: str
    status: str
    timestamp_ms: int


async def read_bookings(bootstrap: str, prefix: str, *, limit_s: float = 30.0) -> list[BookingRecord]:
    """The records on `<prefix>mdt-bookings` up to its end offsets at the time of the call."""
    topic = prefix + Topic.mdt_bookings.value
    async with Offsets(bootstrap) as offsets:
        ends = {tp: end for tp, end in (await offsets.end_offsets([topic])).items() if end > 0}
    found: list[BookingRecord] = []
    if not ends:
        return found
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, fetch_max_bytes=8 << 20)
    await consumer.start()
    consumer.assign(list(ends))
    await consumer.seek_to_beginning(*ends)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    remaining = dict(ends)
    try:
        while remaining and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=300, max_records=5000)
            for tp, records in batch.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    headers = dict(record.headers or ())
                    payload = orjson.loads(record.value).get("payload", {})
                    found.append(
                        BookingRecord(
                            case_id=(record.key or b"").decode(),
                            event_type=headers.get("event_type", b"").decode(),
                            status=str(payload.get("status", "")),
                            timestamp_ms=int(record.timestamp),
                        )
                    )
                    if record.offset + 1 >= ends[tp]:
                        remaining.pop(tp, None)
    finally:
        await consumer.stop()
    return found


async def produce_recommendation_backlog(bootstrap: str, topic: str, count: int) -> float:
    """`recommendation.issued` envelopes for new case ids, as eligibility's relay writes them: a third
    urgent, the rest routine, a third of them standard-of-care discussions, three to five specialties.
    Returns the seconds it took."""
    specialties = ["medical_oncology", "palliative_care", "radiation_oncology", "radiology", "surgery"]
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20, max_batch_size=262144
    )
    await producer.start()
    loop = asyncio.get_running_loop()
    began = loop.time()
    now = datetime.now(UTC)
    try:
        futures = []
        for n in range(count):
            case_id = uuid.uuid4()
            urgent = n % 3 == 0
            envelope = EventEnvelope(
                event_type=EventType.recommendation_issued,
                case_id=case_id,
                case_version=1,
                payload={
                    "case_id": str(case_id),
                    "case_version": 1,
                    "ruleset_version": "bench",
                    "evaluated_at": now.isoformat(),
                    "urgency": "urgent" if urgent else "routine",
                    "book_within_hours": 72 if urgent else 336,
                    "required_specialties": sorted(specialties[: 3 + n % 3]),
                    "therapies": [],
                    "scores": {},
                    "alerts": [],
                    "discussion": "standard_of_care" if n % 3 == 2 else "full",
                },
            )
            futures.append(
                await producer.send(
                    topic,
                    value=envelope.model_dump_json().encode(),
                    key=str(case_id).encode(),
                    headers=[("event_type", EventType.recommendation_issued.value.encode())],
                )
            )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return loop.time() - began


async def pipeline_lag(offsets: Offsets, prefix: str) -> dict[str, int]:
    """Records the eligibility and scheduler groups have yet to commit on the topics they read."""
    return {
        "eligibility": await offsets.lag(prefix + "eligibility", [prefix + Topic.case_events.value]),
        "scheduler": await offsets.lag(
            prefix + "scheduler",
            [prefix + Topic.therapy_recommendations.value, prefix + Topic.case_events.value],
        ),
    }


async def wait_drained(kafka: str, prefix: str, limit_s: float) -> float:
    """Until both groups' lag is zero (or `limit_s`); the seconds it took."""
    async with Offsets(kafka) as offsets:
        loop = asyncio.get_running_loop()
        began = loop.time()
        while loop.time() - began < limit_s:
            if sum((await pipeline_lag(offsets, prefix)).values()) == 0:
                break
            await asyncio.sleep(0.25)
        return loop.time() - began
