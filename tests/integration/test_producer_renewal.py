"""A delivery the broker refused once must not block its partition for good. aiokafka's idempotent producer
never takes back the sequence number of a failed batch, so without a new producer every later event of that
partition is refused (OutOfOrderSequenceNumber) until the service restarts - after a broker restart on a slow
machine, that was a sixth of all cases (shared/kafka/producer.py)."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from sqlalchemy import MetaData, Table, text
from sqlalchemy.schema import CreateSchema

from shared.contracts.events import EventEnvelope, EventType
from shared.db.engine import create_engine, create_session_factory
from shared.kafka.client import create_producer
from shared.kafka.outbox import OutboxRelay, UndeliveredEvents, add_to_outbox, outbox_table
from shared.kafka.producer import RenewableProducer
from shared.metrics import PRODUCER_RENEWALS
from shared.settings import ServiceSettings
from tests.integration.test_outbox import read_all

pytestmark = pytest.mark.integration

SMALL_LIMIT = "200"  # bytes: below one event
DEFAULT_LIMIT = "1048588"


@pytest.fixture
async def admin(settings: ServiceSettings) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await client.start()
    yield client
    await client.close()


@pytest.fixture
async def topic(admin: AIOKafkaAdminClient) -> AsyncIterator[str]:
    name = f"renewal-test-{uuid.uuid4().hex[:8]}"
    await admin.create_topics([NewTopic(name, 1, 1)])
    yield name
    await admin.delete_topics([name])


@pytest.fixture
async def outbox(settings: ServiceSettings) -> AsyncIterator[Table]:
    """An outbox of its own: the running services' relays publish from theirs, and one of them taking this
    test's rows (with a producer that never failed) would hide what is tested."""
    schema = f"renewal_{uuid.uuid4().hex[:8]}"
    table = outbox_table(MetaData(), schema)
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.execute(CreateSchema(schema))
        await conn.run_sync(table.metadata.create_all)
    yield table
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    await engine.dispose()


async def set_message_limit(admin: AIOKafkaAdminClient, topic: str, limit: str) -> None:
    await admin.alter_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topic, configs={"max.message.bytes": limit})]
    )
    async with asyncio.timeout(30):
        while await message_limit(admin, topic) != limit:
            await asyncio.sleep(0.2)


async def message_limit(admin: AIOKafkaAdminClient, topic: str) -> str | None:
    (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    for resource in response.resources:
        for entry in resource[4]:  # (name, value, read_only, ...)
            if entry[0] == "max.message.bytes":
                return str(entry[1])
    return None


def renewals() -> float:
    return sum(
        sample.value
        for metric in PRODUCER_RENEWALS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


async def test_a_refused_delivery_does_not_block_its_partition_once_the_cause_is_gone(
    settings: ServiceSettings, admin: AIOKafkaAdminClient, topic: str, outbox: Table
) -> None:
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    producer = RenewableProducer(lambda: create_producer(settings))
    await producer.start()
    relay = OutboxRelay(engine, outbox, producer)
    case_id = uuid.uuid4()
    events = [
        EventEnvelope(event_type=EventType.case_updated, case_id=case_id, case_version=v, payload={})
        for v in (1, 2, 3)
    ]
    try:
        async with sessions() as session, session.begin():
            await add_to_outbox(session, outbox, topic, events[0])
        assert await relay.publish_pending() == 1  # the partition now knows this producer's sequence

        await set_message_limit(admin, topic, SMALL_LIMIT)
        async with sessions() as session, session.begin():
            await add_to_outbox(session, outbox, topic, events[1])
        renewals_before = renewals()
        with pytest.raises(UndeliveredEvents, match="MessageSizeTooLarge"):
            await relay.publish_pending()

        await set_message_limit(admin, topic, DEFAULT_LIMIT)
        async with sessions() as session, session.begin():
            await add_to_outbox(session, outbox, topic, events[2])
        async with asyncio.timeout(30):
            while True:  # the broker applies the new limit within moments
                try:
                    if await relay.publish_pending() == 0:
                        break
                except UndeliveredEvents:
                    await asyncio.sleep(0.5)

        received = await read_all(settings.kafka_bootstrap_servers, topic, expected=3)
        assert [e.event_id for e in received] == [e.event_id for e in events]
        assert renewals() == renewals_before + 1
    finally:
        await producer.stop(10)
        await engine.dispose()
