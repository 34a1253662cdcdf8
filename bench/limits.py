"""The physical limits the pipeline is compared with, measured on the same broker and database in the same run:
raw aiokafka produce->consume throughput of 2 KB records, and raw asyncpg single-row insert-and-commit rate."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.kafka_tools import create_topic

RECORD_BYTES = 2048


async def kafka_produce_consume(bootstrap: str, topic: str, partitions: int, count: int) -> dict[str, Any]:
    """Produces `count` 2 KB records (acks=all, idempotent, as the services' producer) while a consumer reads
    them back; records/s from the first send to the last record consumed."""
    await create_topic(bootstrap, topic, partitions)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, fetch_max_bytes=16 << 20)
    await consumer.start()
    parts = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(parts)
    await consumer.seek_to_beginning(*parts)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5, max_batch_size=262144
    )
    await producer.start()
    loop = asyncio.get_running_loop()
    payload = os.urandom(RECORD_BYTES)

    async def consume() -> float:
        seen = 0
        while seen < count:
            batch = await consumer.getmany(timeout_ms=500, max_records=10000)
            seen += sum(len(records) for records in batch.values())
        return loop.time()

    try:
        reader = asyncio.create_task(consume())
        began = loop.time()
        pending = []
        for n in range(count):
            pending.append(await producer.send(topic, payload, key=str(n).encode()))
            if len(pending) >= 2000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        produced = loop.time()
        finished = await asyncio.wait_for(reader, 120)
    finally:
        await producer.stop()
        await consumer.stop()
    return {
        "partitions": partitions,
        "records": count,
        "record_bytes": RECORD_BYTES,
        "produce_msgs_per_s": round(count / (produced - began)),
        "produce_consume_msgs_per_s": round(count / (finished - began)),
        "mb_per_s": round(count * RECORD_BYTES / (finished - began) / 1e6, 1),
    }


async def pg_insert_commit(dsn: str, seconds: float, connections: int) -> dict[str, Any]:
    """Single-row INSERTs, each its own transaction (autocommit), from `connections` connections at once."""
    setup = await asyncpg.connect(dsn)
    try:
        await setup.execute(
            "CREATE TABLE IF NOT EXISTS public.bench_raw (id bigserial PRIMARY KEY, payload text NOT NULL)"
        )
    finally:
        await setup.close()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    payload = "x" * 200

    async def writer() -> int:
        connection = await asyncpg.connect(dsn)
        done = 0
        try:
            statement = await connection.prepare("INSERT INTO public.bench_raw (payload) VALUES ($1)")
            while loop.time() < deadline:
                await statement.fetch(payload)
                done += 1
        finally:
            await connection.close()
        return done

    began = loop.time()
    counts = await asyncio.gather(*(writer() for _ in range(connections)))
    elapsed = loop.time() - began
    return {"connections": connections, "commits": sum(counts), "commits_per_s": round(sum(counts) / elapsed)}
