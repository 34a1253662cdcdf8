"""Reading and writing the pipeline's topics directly, as a test harness (duplicates, poison records)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


async def produce(
    bootstrap: str,
    topic: str,
    value: bytes,
    *,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers or [])
    finally:
        await producer.stop()


async def read_topic(
    bootstrap: str, topic: str, *, idle_seconds: float = 2.0, limit_seconds: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on the topic from the beginning, until nothing new arrives for idle_seconds."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_seconds
    quiet_since = loop.time()
    try:
        while loop.time() < deadline and loop.time() - quiet_since < idle_seconds:
            batch: dict[Any, list[ConsumerRecord[bytes, bytes]]] = await consumer.getmany(timeout_ms=300)
            for part in batch.values():
                records.extend(part)
                quiet_since = loop.time()
    finally:
        await consumer.stop()
    return records


async def delete_topics_containing(bootstrap: str, fragment: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        doomed = [name for name in await admin.list_topics() if fragment in name]
        if doomed:
            await admin.delete_topics(doomed)
        return doomed
    finally:
        await admin.close()


@asynccontextmanager
async def consumed_topic(bootstrap: str, prefix: str, partitions: int = 1) -> AsyncIterator[str]:
    """A fresh topic of `partitions` partitions with its dead-letter topic, both deleted afterwards."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1), NewTopic(name + ".dlq", 1, 1)])
        yield name
        await admin.delete_topics([name, name + ".dlq"])
    finally:
        await admin.close()
