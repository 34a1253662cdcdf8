"""The transactional outbox against the real PostgreSQL and Kafka: what commits is published once, in
order per case; what rolls back is never published."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import delete, func, select

from services.intake.adapters.tables import outbox
from shared.contracts.events import EventEnvelope, EventType
from shared.db.engine import create_engine, create_session_factory
from shared.kafka.client import create_producer
from shared.kafka.outbox import OutboxEvent, OutboxRelay, add_all_to_outbox, add_to_outbox
from shared.kafka.producer import RenewableProducer
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture
async def topic(settings: ServiceSettings) -> AsyncIterator[str]:
    name = f"outbox-test-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await admin.create_topics([NewTopic(name, 3, 1)])
    yield name
    await admin.delete_topics([name])
    await admin.close()


async def read_all(
    bootstrap: str, topic: str, expected: int, wait_seconds: float = 20
) -> list[EventEnvelope]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    out: list[EventEnvelope] = []
    try:
        async with asyncio.timeout(wait_seconds):
            while len(out) < expected:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    out += [EventEnvelope.model_validate_json(r.value) for r in records]
        # Anything beyond what was expected would be a duplicate: give it a moment to show up.
        for records in (await consumer.getmany(timeout_ms=1000)).values():
            out += [EventEnvelope.model_validate_json(r.value) for r in records]
    finally:
        await consumer.stop()
    return out


async def test_committed_events_are_published_once_in_order_and_rolled_back_ones_never(
    settings: ServiceSettings, topic: str
) -> None:
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    producer = RenewableProducer(lambda: create_producer(settings))
    await producer.start()
    case_ids = [uuid.uuid4() for _ in range(3)]
    sent: list[EventEnvelope] = []
    try:
        for version in range(1, 5):
            for case_id in case_ids:
                envelope = EventEnvelope(
                    event_type=EventType.case_updated, case_id=case_id, case_version=version, payload={}
                )
                async with sessions() as session, session.begin():
                    await add_to_outbox(session, outbox, topic, envelope)
                sent.append(envelope)
        rolled_back = EventEnvelope(
            event_type=EventType.case_submitted, case_id=case_ids[0], case_version=99, payload={}
        )
        async with sessions() as session, session.begin():
            await add_to_outbox(session, outbox, topic, rolled_back)
            await session.rollback()

        # Two relays, as with two intake instances: together they publish every row exactly once.
        relays = [OutboxRelay(engine, outbox, producer, batch_size=5) for _ in range(2)]
        while True:
            published = await asyncio.gather(*(relay.publish_pending() for relay in relays))
            if sum(published) == 0:
                async with engine.connect() as conn:
                    pending = await conn.scalar(
                        select(func.count())
                        .select_from(outbox)
                        .where(outbox.c.topic == topic, outbox.c.published_at.is_(None))
                    )
                if pending == 0:
                    break

        received = await read_all(settings.kafka_bootstrap_servers, topic, expected=len(sent))
        assert sorted(str(e.event_id) for e in received) == sorted(str(e.event_id) for e in sent)
        assert rolled_back.event_id not in {e.event_id for e in received}
        for case_id in case_ids:
            versions = [e.case_version for e in received if e.case_id == case_id]
            assert versions == [1, 2, 3, 4]
    finally:
        await producer.stop(10)
        await engine.dispose()


async def test_a_batch_of_events_is_written_in_the_order_given_and_as_encoded(
    settings: ServiceSettings, topic: str
) -> None:
    """A consumer batch's events go in as one statement: their ids (the relay's publishing order) follow the
    order given, a case's versions included, and a payload handed over already encoded is the same JSON
    as the envelope's own."""
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    case_ids = [uuid.uuid4() for _ in range(4)]
    events = [
        OutboxEvent(
            topic,
            EventEnvelope(
                event_type=EventType.case_updated, case_id=case_id, case_version=version, payload={}
            ),
            {"traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"},
            encoded_payload=orjson.dumps({"version": version, "urgency": "urgent"}).decode(),
        )
        for version in range(1, 6)
        for case_id in (case_ids[::-1] if version % 2 else case_ids)
    ]
    try:
        async with sessions() as session, session.begin():
            await add_all_to_outbox(session, outbox, events)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(outbox.c.event_id, outbox.c.value, outbox.c.trace_headers)
                    .where(outbox.c.topic == topic)
                    .order_by(outbox.c.id)
                )
            ).all()
    finally:
        # Never published: left pending, they would hold up the relay of an intake on this database.
        async with engine.begin() as conn:
            await conn.execute(delete(outbox).where(outbox.c.topic == topic))
        await engine.dispose()
    assert [row.event_id for row in rows] == [event.envelope.event_id for event in events]
    for row, event in zip(rows, events, strict=True):
        written = EventEnvelope.model_validate_json(row.value)
        assert written == event.envelope.model_copy(
            update={"payload": orjson.loads(event.encoded_payload or "")}
        )
        assert row.trace_headers == event.trace_headers
