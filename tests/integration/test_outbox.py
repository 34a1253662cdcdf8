"""The transactional outbox against the real PostgreSQL and Kafka: what commits is published once, in
order per case; what rolls back is never published."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import func, select

from services.intake.adapters.tables import outbox
from shared.contracts.events import EventEnvelope, EventType
from shared.db.engine import create_engine, create_session_factory
from shared.kafka.client import create_producer
from shared.kafka.outbox import OutboxRelay, add_to_outbox
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
