"""A consumer whose client fails with an error that is not a KafkaError (aiokafka raised a bare RuntimeError
once right after a broker restart in the fault suite, and the task died: the service stopped consuming until
it was restarted) starts a fresh client and goes on: what was produced before and after is applied, each
record once."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.events import EventEnvelope
from shared.db.engine import create_engine, create_session_factory
from shared.kafka.client import create_producer
from shared.kafka.consumer import Delivery
from shared.kafka.producer import RenewableProducer
from shared.settings import ServiceSettings
from tests.integration.test_consumer_batches import batch_consumer, case_updates
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import consumed_topic, produce

pytestmark = pytest.mark.integration


@pytest.fixture
async def topic(infrastructure: Infrastructure) -> AsyncIterator[str]:
    async with consumed_topic(infrastructure.kafka_bootstrap_servers, "restart-test", partitions=2) as name:
        yield name


async def test_a_consumer_client_that_fails_unexpectedly_is_replaced_and_nothing_is_lost_or_applied_twice(
    infrastructure: Infrastructure, database_url: str, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bootstrap = infrastructure.kafka_bootstrap_servers
    settings = ServiceSettings(database_url=database_url, kafka_bootstrap_servers=bootstrap)
    engine = create_engine(settings)
    applied: list[uuid.UUID] = []

    async def batch_handler(session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
        applied.extend(d.envelope.event_id for d in deliveries)

    real_getmany = AIOKafkaConsumer.getmany
    polls_with_records = 0
    failures = 0

    async def getmany_failing_once(self: AIOKafkaConsumer, *partitions: Any, **options: Any) -> Any:
        nonlocal polls_with_records, failures
        batch = await real_getmany(self, *partitions, **options)
        if batch:
            polls_with_records += 1
            if polls_with_records == 2 and failures == 0:
                failures += 1
                raise RuntimeError("what aiokafka raised after the broker restart")
        return batch

    monkeypatch.setattr(AIOKafkaConsumer, "getmany", getmany_failing_once)

    async def send(batch: list[EventEnvelope]) -> None:
        for envelope in batch:
            await produce(
                bootstrap, topic, envelope.model_dump_json().encode(), key=str(envelope.case_id).encode()
            )

    before, during, after = case_updates(10), case_updates(10), case_updates(10)
    producer = RenewableProducer(lambda: create_producer(settings))
    await producer.start()
    consumer = batch_consumer(settings, create_session_factory(engine), producer, topic, batch_handler)
    task = asyncio.create_task(consumer.run())

    async def until(condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(90):
            while not condition():
                assert not task.done(), "the consumer's task died"
                await asyncio.sleep(0.1)

    try:
        await send(before)
        await until(lambda: polls_with_records >= 1)
        await send(during)  # the second poll that returns records fails (before or during these)
        await until(lambda: failures == 1)
        await send(after)
        everything = before + during + after
        await until(lambda: len(set(applied)) == len(everything))
        assert sorted(applied) == sorted(e.event_id for e in everything)  # each once
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer.stop(10)
        await engine.dispose()
