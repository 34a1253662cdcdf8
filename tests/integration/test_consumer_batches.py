"""The consumer loop on the real broker and database, applying a poll's records of a topic in one transaction
(a set-based batch handler):
every record applied once (inbox), duplicates dropped, a poison record dead-lettered, and the good records
of a batch that contained it applied once by the one-by-one fallback."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.adapters.tables import inbox
from shared.contracts.events import EventEnvelope, EventType
from shared.db.engine import SessionFactory, create_engine, create_session_factory
from shared.kafka.client import client_options, create_producer
from shared.kafka.consumer import BatchHandler, Delivery, EventConsumer, PoisonEventError
from shared.kafka.dead_letters import read_dead_letters
from shared.kafka.producer import RenewableProducer
from shared.settings import ServiceSettings
from tests.support.cases import a_case
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import consumed_topic, produce

pytestmark = pytest.mark.integration


@pytest.fixture
async def topic(infrastructure: Infrastructure) -> AsyncIterator[str]:
    async with consumed_topic(infrastructure.kafka_bootstrap_servers, "batch-test") as name:
        yield name


def case_updates(count: int) -> list[EventEnvelope]:
    return [
        EventEnvelope(
            event_type=EventType.case_updated, case_id=uuid.uuid4(), case_version=1, payload=a_case()
        )
        for _ in range(count)
    ]


def batch_consumer(
    settings: ServiceSettings,
    sessions: SessionFactory,
    producer: RenewableProducer,
    topic: str,
    batch_handler: BatchHandler,
) -> EventConsumer:
    """A consumer of `topic` (a group of its own) applying its batches with `batch_handler`."""
    return EventConsumer(
        name=f"batch-{uuid.uuid4().hex[:6]}",
        topics=[topic],
        group_id=f"batch-{uuid.uuid4().hex[:6]}",
        event_types=frozenset({EventType.case_updated}),
        batch_handler=batch_handler,
        session_factory=sessions,
        inbox=inbox,
        producer=producer,
        client_options=client_options(settings),
    )


async def test_a_batch_is_applied_once_and_a_poison_record_only_is_dead_lettered(
    infrastructure: Infrastructure, database_url: str, topic: str
) -> None:
    settings = ServiceSettings(
        database_url=database_url, kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers
    )
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    table = f"effects_{uuid.uuid4().hex[:8]}"
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {table} (event_id uuid NOT NULL)"))

    async def batch_handler(session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
        if any(d.envelope.payload["external_id"].startswith("poison") for d in deliveries):
            raise PoisonEventError("poisoned on purpose")
        await session.execute(
            text(f"INSERT INTO {table} SELECT unnest(CAST(:ids AS uuid[]))"),
            {"ids": [d.envelope.event_id for d in deliveries]},
        )

    good = case_updates(40)
    poison = EventEnvelope(
        event_type=EventType.case_updated,
        case_id=uuid.uuid4(),
        case_version=1,
        payload=a_case(external_id=f"poison-{uuid.uuid4().hex[:8]}"),
    )
    first_batch = [*good[:20], good[3]]  # with a redelivery
    second_batch = [poison, *good[20:], good[30]]  # a poison record and another redelivery
    records = first_batch + second_batch
    for envelope in first_batch:
        await produce(infrastructure.kafka_bootstrap_servers, topic, envelope.model_dump_json().encode())

    producer = RenewableProducer(lambda: create_producer(settings))
    await producer.start()
    consumer = batch_consumer(settings, sessions, producer, topic, batch_handler)
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(60):
            while consumer.progress.processed < len(first_batch):
                await asyncio.sleep(0.2)
        assert consumer.progress.batches_applied >= 1  # the first records went in together
        for envelope in second_batch:
            await produce(infrastructure.kafka_bootstrap_servers, topic, envelope.model_dump_json().encode())
        async with asyncio.timeout(60):
            while consumer.progress.processed + consumer.progress.dead_lettered < len(records):
                await asyncio.sleep(0.2)
        async with engine.connect() as conn:
            applied = [row[0] for row in (await conn.execute(text(f"SELECT event_id FROM {table}"))).all()]
        assert sorted(applied) == sorted(e.event_id for e in good)  # each once
        letters = await read_dead_letters(
            ServiceSettings(kafka_bootstrap_servers=settings.kafka_bootstrap_servers), topic
        )
        assert [d.headers["dlq.error"] for d in letters] == ["invalid_payload"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer.stop(10)
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE {table}"))
        await engine.dispose()


async def test_a_polls_records_of_every_partition_of_a_topic_go_in_one_transaction(
    infrastructure: Infrastructure, database_url: str
) -> None:
    """Records spread over three partitions, waiting when the consumer starts: one batch holds them all
    (per partition, they would be three batches at least), and each is applied once."""
    bootstrap = infrastructure.kafka_bootstrap_servers
    async with consumed_topic(bootstrap, "batch-test", partitions=3) as name:
        settings = ServiceSettings(database_url=database_url, kafka_bootstrap_servers=bootstrap)
        engine = create_engine(settings)
        batches: list[list[uuid.UUID]] = []

        async def batch_handler(session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
            batches.append([d.envelope.event_id for d in deliveries])

        envelopes = case_updates(30)
        for envelope in envelopes:
            await produce(
                bootstrap, name, envelope.model_dump_json().encode(), key=str(envelope.case_id).encode()
            )
        producer = RenewableProducer(lambda: create_producer(settings))
        await producer.start()
        consumer = batch_consumer(settings, create_session_factory(engine), producer, name, batch_handler)
        task = asyncio.create_task(consumer.run())
        try:
            async with asyncio.timeout(60):
                while consumer.progress.processed < len(envelopes):
                    await asyncio.sleep(0.2)
            assert sorted(i for batch in batches for i in batch) == sorted(e.event_id for e in envelopes)
            assert max(len(batch) for batch in batches) > 10  # more than any one partition's share (~10)
            assert len(batches) < 3
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await producer.stop(10)
            await engine.dispose()
