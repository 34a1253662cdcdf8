"""The consumer loop every service uses: at-least-once delivery made exactly-once in effect.

- offsets are committed by hand, per partition, only after the record's database transaction committed;
- the inbox (processed event ids) is written in that same transaction, so a redelivery changes nothing;
- a record that can never succeed (not an envelope, an event type the consumer does not take, failing its
  schema, or a handler that keeps failing on it) goes to `<topic>.dlq` with headers naming the error and where
  it came from;
- a database or broker outage is retried with backoff and never skips a record.

The consumer applies each poll's records of one topic (all its partitions) with its batch handler's set-based
statements in one transaction (one inbox insert for the batch, the handler's few statements for all its
records); if anything in it fails, nothing of it was committed and the records go one at a time through the
path above, each as a batch of one to the same handler (`one_at_a_time`): a service declares one handler,
never one per event.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, KafkaError
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from pydantic import BaseModel, ValidationError
from pydantic_core import from_json
from sqlalchemy import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.messages import Event, UnknownSchemaVersionError, as_event, parse_payload, read_event
from shared.db.engine import SessionFactory
from shared.db.errors import is_transient
from shared.http.problems import validation_errors
from shared.kafka.inbox import record_first_deliveries, record_first_delivery
from shared.kafka.producer import RenewableProducer
from shared.kafka.topics import DLQ_SUFFIX
from shared.metrics import CONSUMER_LAG, RECORDS_CONSUMED
from shared.telemetry import context_from_headers

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

MAX_HANDLER_ATTEMPTS = 5


@dataclass(frozen=True, eq=False)
class Delivery:
    """A record's event, first delivery only, with the trace context of its process span: the events its
    effects announce continue that trace. `event` is what the consumer read from the record in one pass: the
    envelope with its payload as the model of its event type and schema version (shared/contracts/
    messages.py). One built from an `EventEnvelope` (a test, a replay) parses the payload on first use."""

    event: Event[Any] | EventEnvelope
    context: Context
    value: bytes | None = None  # the record's bytes, for `envelope`

    @property
    def event_id(self) -> UUID:
        return self.event.event_id

    @property
    def event_type(self) -> EventType:
        return self.event.event_type

    @property
    def case_id(self) -> UUID:
        return self.event.case_id

    @property
    def case_version(self) -> int:
        return self.event.case_version

    @cached_property
    def payload(self) -> BaseModel:
        event = self.event
        return event.payload if isinstance(event, Event) else parse_payload(event)

    @cached_property
    def envelope(self) -> EventEnvelope:
        """The envelope with its payload as the JSON object it came as (intake stores it as it is), built on
        first use from the fields already read and the record's payload decoded as JSON: handlers that
        need only the fields above or the typed payload never pay for it."""
        event = self.event
        if isinstance(event, EventEnvelope):
            return event
        fields = {name: getattr(event, name) for name in _HEADER_FIELDS}
        if self.value is None:
            return EventEnvelope(**fields, payload=event.payload.model_dump(mode="json"))
        # pydantic's own JSON parser: the dict EventEnvelope holds (orjson would make a 65-bit int a float).
        return EventEnvelope.model_construct(**fields, payload=from_json(self.value)["payload"])


_HEADER_FIELDS = ("event_id", "event_type", "schema_version", "occurred_at", "case_id", "case_version")


BatchHandler = Callable[[AsyncSession, Sequence[Delivery]], Awaitable[None]]
Handler = Callable[[AsyncSession, Delivery], Awaitable[None]]


def _by_topic(
    batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
) -> list[dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]]:
    """A poll's partitions grouped by topic (each partition's records stay in their order)."""
    topics: dict[str, dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]] = {}
    for tp, records in batch.items():
        topics.setdefault(tp.topic, {})[tp] = records
    return list(topics.values())


def one_at_a_time(batch_handler: BatchHandler) -> Handler:
    """The fallback of a batch handler: a record alone, as a batch of one."""

    async def handler(session: AsyncSession, delivery: Delivery) -> None:
        await batch_handler(session, [delivery])

    return handler


class PoisonEventError(Exception):
    """Raised by a handler for a record that can never be applied (e.g. its payload breaks the schema)."""


@dataclass
class ConsumerProgress:
    """What /readyz and metrics read: is the loop alive, and how far has it got."""

    running: bool = False
    assigned: list[TopicPartition] = field(default_factory=list)
    last_poll_monotonic: float = 0.0
    processed: int = 0
    batches_applied: int = 0  # topic batches (a poll's records of one topic) applied in one transaction
    dead_lettered: int = 0
    positions: dict[TopicPartition, int] = field(default_factory=dict)


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: "EventConsumer") -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        await self._owner.commit_processed()

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        self._owner.progress.assigned = list(assigned)


class EventConsumer:
    def __init__(
        self,
        *,
        name: str,
        topics: list[str],
        group_id: str,
        event_types: frozenset[EventType],
        batch_handler: BatchHandler,
        session_factory: SessionFactory,
        inbox: Table,
        producer: RenewableProducer,
        client_options: dict[str, Any],
        batch_size: int = 200,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self._topics = topics
        self._group_id = group_id
        self._event_types = event_types
        self._sessions = session_factory
        self._inbox = inbox
        self._producer = producer
        self._client_options = client_options
        self._batch_size = batch_size
        self._after_commit = after_commit
        # Set-based application of a whole batch. Only for handlers that lock nothing shared across cases
        # (each locks its batch's case rows, in id order), or that serialise their batches (the scheduler's):
        # two members holding locks taken by different records of their batches could deadlock otherwise.
        self._batch_handler = batch_handler
        self._handler = one_at_a_time(batch_handler)
        self._consumer: AIOKafkaConsumer | None = None
        self._processed_offsets: dict[TopicPartition, int] = {}
        self.progress = ConsumerProgress()

    async def run(self) -> None:
        backoff = 0.5
        while True:
            consumer = AIOKafkaConsumer(
                **self._client_options,
                group_id=self._group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=self._batch_size,
                session_timeout_ms=15000,
                heartbeat_interval_ms=3000,
                max_poll_interval_ms=300000,
            )
            try:
                await consumer.start()
                consumer.subscribe(self._topics, listener=_CommitOnRevoke(self))
                self._consumer = consumer
                self.progress.running = True
                backoff = 0.5
                await self._poll_forever(consumer)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # aiokafka also fails with errors that are not KafkaError (seen once right after a broker
                # restart, a RuntimeError). A fresh consumer resumes from the committed offsets, which never
                # pass what the database committed; the inbox drops what is read again.
                if isinstance(error, KafkaError):
                    log.warning("consumer %s lost the broker: %s", self.name, type(error).__name__)
                else:
                    log.exception("consumer %s failed; a fresh consumer takes over", self.name)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                self.progress.running = False
                self._consumer = None
                await self._stop_quietly(consumer)

    async def _stop_quietly(self, consumer: AIOKafkaConsumer) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(self._commit(consumer)), 5)
            await asyncio.wait_for(consumer.stop(), 10)
        except Exception:  # stopping after a failure: nothing more to save
            log.debug("consumer %s stopped uncleanly", self.name)

    async def _poll_forever(self, consumer: AIOKafkaConsumer) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await consumer.getmany(timeout_ms=500, max_records=self._batch_size)
            self.progress.last_poll_monotonic = loop.time()
            for partitions in _by_topic(batch):
                # A topic's partitions in one transaction: at 100 records/s over 6 partitions a poll holds
                # about one record per partition, so per-partition batches were nearly all of one.
                await self._apply_batch([r for records in partitions.values() for r in records])
                for tp, records in partitions.items():
                    self._processed_offsets[tp] = records[-1].offset + 1
                    self.progress.positions[tp] = records[-1].offset + 1
            self._report_lag(consumer)
            if batch:
                await self._commit(consumer)
                if self._after_commit is not None:
                    self._after_commit()

    def _report_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            position = self.progress.positions.get(tp)
            if highwater is not None and position is not None:
                CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(max(highwater - position, 0))

    async def commit_processed(self) -> None:
        if self._consumer is not None:
            await self._commit(self._consumer)

    async def _commit(self, consumer: AIOKafkaConsumer) -> None:
        offsets, self._processed_offsets = self._processed_offsets, {}
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as error:
            # The partitions moved to another member; it re-reads them and the inbox drops the repeats.
            log.info("consumer %s could not commit (%s); records will be redelivered", self.name, error)

    async def _parse(self, record: ConsumerRecord[bytes, bytes]) -> Event[Any] | None:
        """The record's event, its payload checked against its model before any handler runs (a bad one can
        never succeed); None once a record that can never be applied is dead-lettered."""
        event = read_event(record.value or b"")
        if event is not None:
            if event.event_type in self._event_types:
                return event
            await self._dead_letter(record, "unknown_event_type", f"{self.name} has no handler for this type")
            return None
        # Not readable in one pass: the envelope, then its payload, say why (or read it after all).
        try:
            envelope = EventEnvelope.model_validate_json(record.value or b"")
        except ValidationError as error:
            await self._dead_letter(record, "invalid_envelope", _describe(error))
            return None
        if envelope.event_type not in self._event_types:
            await self._dead_letter(record, "unknown_event_type", f"{self.name} has no handler for this type")
            return None
        try:
            payload = parse_payload(envelope)
        except UnknownSchemaVersionError as error:
            await self._dead_letter(record, "unknown_schema_version", str(error))
            return None
        except ValidationError as error:
            await self._dead_letter(record, "invalid_payload", _describe(error))
            return None
        return as_event(envelope, payload)

    async def _apply_batch(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """One inbox insert for the partition batch, then the batch handler with the first deliveries, in one
        transaction. Any failure rolls it all back and the records are applied one at a time instead, by the
        path that retries, dead-letters and backs off."""
        parsed = [(record, event) for record in records if (event := await self._parse(record)) is not None]
        if not parsed:
            return
        spans = [self._start_span(record, event) for record, event in parsed]
        try:
            with self._batch_scope(records[0].topic, spans):
                async with self._sessions() as session, session.begin():
                    first = await record_first_deliveries(
                        session, self._inbox, self.name, [event.event_id for _, event in parsed]
                    )
                    deliveries: list[Delivery] = []
                    for (record, event), span in zip(parsed, spans, strict=True):
                        if event.event_id in first:
                            first.discard(event.event_id)  # a repeat within the batch is a duplicate
                            deliveries.append(Delivery(event, trace.set_span_in_context(span), record.value))
                    await self._batch_handler(session, deliveries)
        except asyncio.CancelledError:
            _end_all(spans)
            raise
        except Exception as error:
            log.info("consumer %s applies a batch one by one after %s", self.name, type(error).__name__)
            _end_all(spans)
            for record, event in parsed:
                await self._process_parsed(record, event)
            return
        _end_all(spans)
        self.progress.batches_applied += 1
        applied = {delivery.event_id for delivery in deliveries}
        for record, event in parsed:
            self.progress.processed += 1
            outcome = "applied" if event.event_id in applied else "duplicate"
            applied.discard(event.event_id)
            RECORDS_CONSUMED.labels(self.name, record.topic, outcome).inc()

    @contextmanager
    def _batch_scope(self, topic: str, spans: list[Span]) -> Iterator[None]:
        """The span the batch's statements run under: the record's own for a batch of one, else a batch span
        linked to every record's (messaging semantic conventions for batch processing)."""
        if len(spans) == 1:
            with trace.use_span(spans[0], end_on_exit=False):
                yield
            return
        with tracer.start_as_current_span(
            f"{topic} process",
            kind=SpanKind.CONSUMER,
            links=[Link(span.get_span_context()) for span in spans],
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": topic,
                "messaging.batch.message_count": len(spans),
                "messaging.consumer.group.name": self._group_id,
            },
        ):
            yield

    def _start_span(self, record: ConsumerRecord[bytes, bytes], event: Event[Any]) -> Span:
        return tracer.start_span(
            f"{record.topic} process",
            context=context_from_headers(record.headers),
            kind=SpanKind.CONSUMER,
            attributes=self._span_attributes(record, event),
        )

    def _span_attributes(self, record: ConsumerRecord[bytes, bytes], event: Event[Any]) -> dict[str, Any]:
        return {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": record.topic,
            "messaging.destination.partition.id": str(record.partition),
            "messaging.kafka.offset": record.offset,
            "messaging.consumer.group.name": self._group_id,
            "case.id": str(event.case_id),
            "case.version": event.case_version,
        }

    def _span(self, record: ConsumerRecord[bytes, bytes], event: Event[Any]) -> Any:
        return trace.use_span(self._start_span(record, event), end_on_exit=True)

    async def _process_parsed(self, record: ConsumerRecord[bytes, bytes], event: Event[Any]) -> None:
        with self._span(record, event) as span:
            delivery = Delivery(event, otel_context.get_current(), record.value)
            await self._apply_with_retries(record, delivery, span)

    async def _apply_with_retries(
        self, record: ConsumerRecord[bytes, bytes], delivery: Delivery, span: Any
    ) -> None:
        failures = 0
        backoff = 0.2
        while True:
            try:
                async with self._sessions() as session, session.begin():
                    first = await record_first_delivery(session, self._inbox, self.name, delivery.event_id)
                    if first:
                        await self._handler(session, delivery)
                self.progress.processed += 1
                RECORDS_CONSUMED.labels(self.name, record.topic, "applied" if first else "duplicate").inc()
                return
            except PoisonEventError as error:
                span.set_status(Status(StatusCode.ERROR, "poison event"))
                await self._dead_letter(record, "invalid_payload", str(error))
                return
            except ValidationError as error:
                span.set_status(Status(StatusCode.ERROR, "invalid payload"))
                await self._dead_letter(record, "invalid_payload", _describe(error))
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not is_transient(error):
                    failures += 1
                    if failures >= MAX_HANDLER_ATTEMPTS:
                        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                        log.exception("consumer %s gives up on a record", self.name)
                        await self._dead_letter(record, "handler_failed", type(error).__name__)
                        return
                log.warning("consumer %s retries after %s", self.name, type(error).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], error: str, detail: str) -> None:
        headers = list(record.headers or ())
        headers += [
            ("dlq.error", error.encode()),
            ("dlq.detail", detail[:500].encode()),
            ("dlq.original_topic", record.topic.encode()),
            ("dlq.original_partition", str(record.partition).encode()),
            ("dlq.original_offset", str(record.offset).encode()),
            ("dlq.consumer", self.name.encode()),
        ]
        backoff = 0.5
        while True:
            delivery: asyncio.Future[Any] | None = None
            producer = self._producer.current
            try:
                producer = await self._producer.usable()
                delivery = await producer.send(
                    record.topic + DLQ_SUFFIX, value=record.value, key=record.key, headers=headers
                )
                await asyncio.wait_for(asyncio.shield(delivery), 15)
                break
            except (KafkaError, TimeoutError) as failure:
                # A delivery that failed broke the producer's sequence; one that timed out is still in its
                # hands and may arrive twice (a replay's consumer drops one on event_id).
                if delivery is not None and delivery.done() and not delivery.cancelled():
                    self._producer.mark_broken(failure, producer)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
        self.progress.dead_lettered += 1
        RECORDS_CONSUMED.labels(self.name, record.topic, "dead_lettered").inc()
        log.warning("consumer %s dead-lettered a record: %s", self.name, error)


def _end_all(spans: list[Span]) -> None:
    for span in spans:
        span.end()


def _describe(error: ValidationError) -> str:
    """Field paths and reasons only: the record's values (which may be clinical) are never repeated."""
    return "; ".join(f"{e['field']}: {e['reason']}" for e in validation_errors(error.errors()))[:500]
