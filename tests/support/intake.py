"""What intake wrote and published, read from its outbox table and the case-events topic."""

import asyncio
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer
from sqlalchemy.engine import make_url

from shared.contracts.events import EventEnvelope


@dataclass(frozen=True)
class OutboxRow:
    event_id: str
    event_type: str
    case_version: int
    published: bool


def _dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _outbox_rows(database_url: str, case_ids: list[str] | None) -> list[OutboxRow]:
    connection = await asyncpg.connect(_dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT event_id, event_type, value, published_at FROM intake.outbox"
            " WHERE $1::text[] IS NULL OR key = ANY($1::text[]) ORDER BY id",
            case_ids,
        )
    finally:
        await connection.close()
    return [
        OutboxRow(
            str(row["event_id"]),
            row["event_type"],
            EventEnvelope.model_validate_json(row["value"]).case_version,
            row["published_at"] is not None,
        )
        for row in rows
    ]


def outbox_rows(database_url: str, *case_ids: str) -> list[OutboxRow]:
    """Intake's outbox rows, oldest first: of the given cases, or all of them when none are given."""
    return asyncio.run(_outbox_rows(database_url, list(case_ids) or None))


async def read_topic(
    bootstrap_servers: str,
    topic: str,
    *,
    until: int,
    keys: set[str] | None = None,
    wait_seconds: float = 60,
    linger: float = 2.0,
) -> list[EventEnvelope]:
    """Every event on the topic (of the given case ids), from the beginning, once at least `until` have
    arrived; then waits `linger` seconds more so that a duplicate would show."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    events: list[EventEnvelope] = []

    async def poll(ms: int) -> None:
        for records in (await consumer.getmany(timeout_ms=ms)).values():
            for record in records:
                if keys is None or (record.key or b"").decode() in keys:
                    events.append(EventEnvelope.model_validate_json(record.value))

    try:
        async with asyncio.timeout(wait_seconds):
            while len(events) < until:
                await poll(500)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + linger
        while loop.time() < deadline:
            await poll(250)
    finally:
        await consumer.stop()
    return events


def case_events(
    bootstrap_servers: str, topic: str, case_ids: set[str], *, until: int, timeout: float = 60
) -> list[EventEnvelope]:
    return asyncio.run(read_topic(bootstrap_servers, topic, until=until, keys=case_ids, wait_seconds=timeout))
