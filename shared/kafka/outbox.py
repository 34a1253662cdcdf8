"""Transactional outbox: the service writes its event in the same transaction as its state change; the
relay publishes pending rows in id order and marks them sent.

Only one relay publishes at a time (a transaction-scoped advisory lock), so two instances of a service
never publish the same row twice and one case's events keep their order; the other relays stand by.
A crash between publishing and marking sent re-publishes the batch: consumers are idempotent on event_id.
Otherwise a row is published twice only when a delivery was still unsettled after PUBLISH_TIMEOUT_SECONDS
or failed: rows reach the producer only when the broker answered a metadata request (for the batch's topics)
just before, every delivery is awaited, and the rows that were delivered are marked sent even when others of
the batch failed (rolling the whole batch back would publish the delivered ones a second time). A failed
delivery renews the producer before the next batch (shared/kafka/producer.py says why).
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from aiokafka.protocol.metadata import MetadataRequest
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.contracts.events import EventEnvelope
from shared.db.driver import driver_connection
from shared.kafka.producer import RenewableProducer
from shared.metrics import EVENTS_PUBLISHED, EVENTS_WRITTEN, OUTBOX_OLDEST_PENDING_AGE, OUTBOX_PENDING
from shared.telemetry import attached, context_from_headers, current_trace_headers

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

# Longer than the producer's request timeout (15 s), so that a delivery retried once still settles in this
# round; an idempotent producer retries until the broker answers, so some may not.
PUBLISH_TIMEOUT_SECONDS = 40.0


def outbox_table(metadata: MetaData, schema: str) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        Column("value", Text, nullable=False),
        Column("trace_headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Index(f"ix_{schema}_outbox_pending", "id", postgresql_where=text("published_at IS NULL")),
        schema=schema,
    )


@dataclass(frozen=True)
class OutboxEvent:
    topic: str
    envelope: EventEnvelope
    trace_headers: dict[str, str]  # W3C context of the span whose work the event announces
    # The payload already encoded as JSON, when the writer has it: written in place of the envelope's own
    # (then empty) `payload`, not decoded and encoded again; `urgency` then labels the events-written metric.
    encoded_payload: str | None = None
    urgency: str = ""

    def value(self) -> str:
        """The envelope's JSON text, as the relay publishes it."""
        if self.encoded_payload is None:
            return self.envelope.model_dump_json()
        head = self.envelope.model_dump(mode="json", exclude={"payload"})
        return orjson.dumps({**head, "payload": orjson.Fragment(self.encoded_payload)}).decode()


def outbox_insert(table: Table) -> str:
    """`INSERT INTO <outbox> (columns)`, to be followed by VALUES or a SELECT of event_id, topic, key,
    event_type, value (the envelope's JSON text) and trace_headers (JSON text), in that order. Every writer
    of outbox rows starts from it, the one-statement submission of intake too
    (services/intake/adapters/case_writes.py)."""
    return f"INSERT INTO {table.fullname} (event_id, topic, key, event_type, value, trace_headers)"


_UNNEST_IN_ORDER = """
SELECT e, t, k, y, v, h
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
    WITH ORDINALITY AS given (e, t, k, y, v, h, n)
ORDER BY n
"""


async def add_to_outbox(session: AsyncSession, table: Table, topic: str, envelope: EventEnvelope) -> None:
    """Call inside the transaction that makes the change the event announces."""
    await add_all_to_outbox(session, table, [OutboxEvent(topic, envelope, current_trace_headers())])


async def add_all_to_outbox(session: AsyncSession, table: Table, events: Sequence[OutboxEvent]) -> None:
    """Rows get ids (the relay's publishing order) in the order given. Straight to the driver: this runs in
    every request and every batch that changes something (shared/db/driver.py says why)."""
    if not events:
        return
    rows = [
        (
            event.envelope.event_id,
            event.topic,
            str(event.envelope.case_id),
            event.envelope.event_type.value,
            event.value(),
            orjson.dumps(event.trace_headers).decode(),
        )
        for event in events
    ]
    connection = await driver_connection(session)
    if len(rows) == 1:
        await connection.execute(f"{outbox_insert(table)} VALUES ($1, $2, $3, $4, $5, $6)", *rows[0])
    else:  # one statement for a batch's events (executemany ran one per row), ids in the order given
        await connection.execute(
            f"{outbox_insert(table)} {_UNNEST_IN_ORDER}", *map(list, zip(*rows, strict=True))
        )
    # Counted when written; a rolled-back transaction over-counts, which dashboards treat as an upper bound.
    for event in events:
        envelope = event.envelope
        urgency = event.urgency or str(envelope.payload.get("urgency") or "")
        EVENTS_WRITTEN.labels(envelope.event_type.value, urgency).inc()


class UndeliveredEvents(ConnectionError):
    pass


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        producer: RenewableProducer,
        *,
        batch_size: int = 200,
        poll_seconds: float = 0.2,
    ) -> None:
        self._engine = engine
        self._table = table
        self._producer = producer
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._lock_key = f"outbox:{table.schema}"
        # One round trip takes the leader's lock (held to the end of the transaction) and claims the oldest
        # pending rows; a relay that is not the leader gets none. The lock is in a CTE (a volatile function
        # there is evaluated once, and never inlined) so that it is taken once, not per row.
        self._claim = f"""
            WITH leader AS (SELECT pg_try_advisory_xact_lock(hashtext($1)) AS is_leader)
            SELECT o.id, o.topic, o.key, o.event_type, o.value, o.trace_headers
            FROM {table.fullname} o, leader
            WHERE leader.is_leader AND o.published_at IS NULL
            ORDER BY o.id
            LIMIT $2
            FOR UPDATE OF o SKIP LOCKED
        """
        self._mark_sent = f"UPDATE {table.fullname} SET published_at = now() WHERE id = ANY($1::bigint[])"
        self.published_total = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.2
        while True:
            try:
                published = await self.publish_pending()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as error:  # broker or database away: keep the rows, try again
                # Class names and counts only: a driver's message may quote a row's values.
                detail = str(error) if isinstance(error, UndeliveredEvents) else ""
                log.warning("outbox relay could not publish: %s %s", type(error).__name__, detail)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if published < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
                self._wake.clear()

    async def publish_pending(self) -> int:
        async with self._engine.begin() as conn:
            connection = await driver_connection(conn)
            rows = await connection.fetch(self._claim, self._lock_key, self._batch_size)
            if not rows:
                return 0  # nothing pending, or another relay is the leader
            producer = await self._producer.usable()
            # Broker away: hand nothing to the producer, whose expired batches could be delivered in part.
            await self._broker_answers(producer, {row["topic"] for row in rows})
            deliveries = {row["id"]: await self._send(producer, row) for row in rows}
            await asyncio.wait(deliveries.values(), timeout=PUBLISH_TIMEOUT_SECONDS)
            delivered, failures = [], set()
            for row_id, future in deliveries.items():
                if not future.done() or future.cancelled():
                    continue  # still in the producer's hands: the next round sends the row again
                error = future.exception()
                if error is None:
                    delivered.append(row_id)
                else:
                    self._producer.mark_broken(error, producer)
                    failures.add(type(error).__name__)
            if delivered:
                await connection.execute(self._mark_sent, delivered)
        self.published_total += len(delivered)
        EVENTS_PUBLISHED.inc(len(delivered))
        if len(delivered) < len(rows):
            missing = len(rows) - len(delivered)
            raise UndeliveredEvents(
                f"{missing} of {len(rows)} not delivered ({', '.join(sorted(failures)) or 'unsettled'})"
            )
        return len(rows)

    async def _broker_answers(self, producer: AIOKafkaProducer, topics: set[str]) -> None:
        """A metadata request for this batch's topics only: a request for every topic (what
        fetch_all_metadata sends) costs a broker with hundreds of topics a large response per batch, which
        the profile showed as a fifth of intake's CPU."""
        client = producer.client
        node_id = client.get_random_node()
        if node_id is None:
            raise KafkaConnectionError("no broker known")
        await client.send(node_id, MetadataRequest(sorted(topics)))

    async def _send(self, producer: AIOKafkaProducer, row: Any) -> "asyncio.Future[Any]":
        # The producer span continues the trace of the request that wrote the row.
        topic, key, event_type = row["topic"], row["key"], row["event_type"]
        with (
            attached(context_from_headers(row["trace_headers"])),
            tracer.start_as_current_span(
                f"{topic} publish",
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "publish",
                    "messaging.destination.name": topic,
                    "messaging.kafka.message.key": key,
                    "event.type": event_type,
                },
            ),
        ):
            headers = [(k, v.encode()) for k, v in current_trace_headers().items()]
            headers.append(("event_type", event_type.encode()))
            future: asyncio.Future[Any] = await producer.send(
                topic, value=row["value"].encode(), key=key.encode(), headers=headers
            )
            return future

    async def pending_count(self) -> int:
        """Refreshes the backlog gauges (on each scrape): how many rows wait, and how long the oldest has."""
        pending = self._table.c.published_at.is_(None)
        async with self._engine.connect() as conn:
            count = await conn.scalar(select(func.count()).select_from(self._table).where(pending))
            # The lowest pending id is the oldest row, found through the pending rows' partial index.
            oldest_age = await conn.scalar(
                select(func.extract("epoch", func.now() - self._table.c.created_at))
                .where(pending)
                .order_by(self._table.c.id)
                .limit(1)
            )
        OUTBOX_PENDING.set(int(count or 0))
        OUTBOX_OLDEST_PENDING_AGE.set(max(float(oldest_age or 0), 0.0))
        return int(count or 0)
