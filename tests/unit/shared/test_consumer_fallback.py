"""The consumer's dispatch with no broker and no database: a subscription's one batch handler applies a
polled batch; when the batch fails, each record goes alone to the same handler (a batch of one, with the
payload the consumer parsed), so only the poisoned record reaches the dead letters. Records of a type the
subscription does not list never reach the handler. The database and the producer are fakes that keep what
a committed transaction wrote."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import MetaData, Table

from shared.contracts.case import CaseSubmission
from shared.contracts.events import EventEnvelope, EventType, Topic
from shared.kafka import consumer as consumer_module
from shared.kafka.consumer import Delivery, EventConsumer, PoisonEventError
from shared.kafka.subscription import Subscription
from tests.support.cases import a_case

TOPIC = "t.case-events"


class Database:
    """What committed transactions left: the inbox and the handler's effects; and how many committed."""

    def __init__(self) -> None:
        self.inbox: set[uuid.UUID] = set()
        self.effects: list[uuid.UUID] = []
        self.commits = 0
        self.rollbacks = 0


class Session:
    def __init__(self, database: Database) -> None:
        self._database = database
        self.inbox: set[uuid.UUID] = set()
        self.effects: list[uuid.UUID] = []

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[None]:
        try:
            yield
        except BaseException:
            self._database.rollbacks += 1
            raise
        self._database.inbox |= self.inbox
        self._database.effects += self.effects
        self._database.commits += 1


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, dict[str, str]]] = []
        self.current = self

    async def usable(self) -> "Producer":
        return self

    async def send(
        self, topic: str, *, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> "asyncio.Future[None]":
        self.sent.append((topic, value, {k: v.decode() for k, v in headers}))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class Handler:
    """Writes each delivery's event id; refuses a batch holding a case whose external id says poison."""

    def __init__(self) -> None:
        self.batches: list[list[Delivery]] = []

    async def __call__(self, session: Any, deliveries: Sequence[Delivery]) -> None:
        self.batches.append(list(deliveries))
        for delivery in deliveries:
            assert isinstance(delivery.payload, CaseSubmission)
            if delivery.payload.external_id.startswith("poison"):
                raise PoisonEventError("poisoned on purpose")
            session.effects.append(delivery.envelope.event_id)


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch) -> Database:
    database = Database()

    async def first_deliveries(
        session: Session, _: Table, __: str, ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        new = set(ids) - database.inbox - session.inbox
        session.inbox |= new
        return new

    async def first_delivery(session: Session, table: Table, name: str, event_id: uuid.UUID) -> bool:
        return bool(await first_deliveries(session, table, name, [event_id]))

    monkeypatch.setattr(consumer_module, "record_first_deliveries", first_deliveries)
    monkeypatch.setattr(consumer_module, "record_first_delivery", first_delivery)
    return database


def a_consumer(database: Database, producer: Producer, subscription: Subscription) -> EventConsumer:
    @asynccontextmanager
    async def sessions() -> AsyncIterator[Session]:
        yield Session(database)

    return EventConsumer(
        name=subscription.name,
        topics=[TOPIC],
        group_id="unit",
        event_types=subscription.event_types,
        batch_handler=subscription.handler,
        session_factory=sessions,  # type: ignore[arg-type]
        inbox=Table("inbox", MetaData()),
        producer=producer,  # type: ignore[arg-type]
        client_options={},
    )


def updated(external_id: str | None = None, event_type: EventType = EventType.case_updated) -> EventEnvelope:
    payload = a_case() if external_id is None else a_case(external_id=external_id)
    return EventEnvelope(event_type=event_type, case_id=uuid.uuid4(), case_version=1, payload=payload)


def records(values: Sequence[EventEnvelope | bytes]) -> list[ConsumerRecord[bytes, bytes]]:
    return [
        ConsumerRecord(
            TOPIC,
            0,
            offset,
            0,
            0,
            None,
            value if isinstance(value, bytes) else value.model_dump_json().encode(),
            None,
            0,
            0,
            [],
        )
        for offset, value in enumerate(values)
    ]


def subscription(handler: Handler) -> Subscription:
    return Subscription(
        name="unit",
        topics=(Topic.case_events,),
        event_types=frozenset({EventType.case_submitted, EventType.case_updated}),
        handler=handler,
    )


async def test_a_failed_batch_is_applied_record_by_record_and_only_the_poison_is_dead_lettered(
    database: Database,
) -> None:
    handler, producer = Handler(), Producer()
    consumer = a_consumer(database, producer, subscription(handler))
    good = [updated() for _ in range(3)]
    poison = updated(external_id="poison-1")

    await consumer._apply_batch(records([good[0], poison, good[1], good[2], good[1]]))

    assert sorted(database.effects) == sorted(e.event_id for e in good)  # each once, the repeat dropped
    assert database.rollbacks == 2  # the batch, then the poison alone
    assert database.commits == 3 + 1  # each good record alone, and the repeat (as a duplicate)
    fallback = handler.batches[1:]
    assert [len(batch) for batch in fallback] == [1, 1, 1, 1]  # the repeat is not handled again
    parsed_once = {id(d.payload) for d in handler.batches[0]}
    assert all(id(batch[0].payload) in parsed_once for batch in fallback)  # the consumer's parsed payloads
    [(topic, value, headers)] = producer.sent
    assert topic == TOPIC + ".dlq" and value == poison.model_dump_json().encode()
    assert headers["dlq.error"] == "invalid_payload" and headers["dlq.consumer"] == "unit"
    assert (consumer.progress.processed, consumer.progress.dead_lettered) == (4, 1)
    assert consumer.progress.batches_applied == 0


async def test_records_the_subscription_does_not_take_are_dead_lettered_and_never_handled(
    database: Database,
) -> None:
    handler, producer = Handler(), Producer()
    consumer = a_consumer(database, producer, subscription(handler))
    good = updated()
    withdrawn = updated(event_type=EventType.case_withdrawn)
    unknown_version = EventEnvelope(
        event_type=EventType.case_updated, schema_version=9, case_id=uuid.uuid4(), case_version=1, payload={}
    )
    not_a_case = EventEnvelope(
        event_type=EventType.case_updated, case_id=uuid.uuid4(), case_version=1, payload={"lesions": "x"}
    )

    await consumer._apply_batch(records([withdrawn, b"{not json", unknown_version, not_a_case, good]))

    assert [[d.envelope.event_id for d in batch] for batch in handler.batches] == [[good.event_id]]
    assert database.effects == [good.event_id] and consumer.progress.batches_applied == 1
    assert [headers["dlq.error"] for _, _, headers in producer.sent] == [
        "unknown_event_type",
        "invalid_envelope",
        "unknown_schema_version",
        "invalid_payload",
    ]
    assert "lesions" in producer.sent[3][2]["dlq.detail"]


def test_a_subscription_lists_only_event_types_its_topics_carry() -> None:
    with pytest.raises(ValueError, match=r"recommendation\.issued"):
        Subscription(
            name="unit",
            topics=(Topic.case_events,),
            event_types=frozenset({EventType.case_updated, EventType.recommendation_issued}),
            handler=Handler(),
        )


async def test_handlers_get_the_payload_read_once_and_the_envelope_as_it_came(database: Database) -> None:
    """The payload is its model, validated once from the record; the envelope's payload is the JSON object
    as it was sent (intake stores it as it is)."""
    handler, producer = Handler(), Producer()
    consumer = a_consumer(database, producer, subscription(handler))
    sent = updated()

    await consumer._apply_batch(records([sent]))

    [[delivery]] = handler.batches
    assert delivery.payload == CaseSubmission.model_validate(sent.payload)
    assert (delivery.event_id, delivery.case_id, delivery.case_version) == (
        sent.event_id,
        sent.case_id,
        sent.case_version,
    )
    assert delivery.envelope == sent and delivery.envelope.payload == sent.payload


async def test_a_bad_payload_is_dead_lettered_naming_the_field_inside_the_payload(database: Database) -> None:
    handler, producer = Handler(), Producer()
    consumer = a_consumer(database, producer, subscription(handler))
    bad = EventEnvelope(
        event_type=EventType.case_updated,
        case_id=uuid.uuid4(),
        case_version=1,
        payload={**a_case(), "lesions": "not a list"},
    )

    await consumer._apply_batch(records([bad]))

    assert handler.batches == []
    [(_, _, headers)] = producer.sent
    assert headers["dlq.error"] == "invalid_payload"
    assert headers["dlq.detail"].startswith("lesions: ")  # the payload's own field path, as before


async def test_an_envelope_relying_on_its_defaults_is_still_applied(database: Database) -> None:
    handler, producer = Handler(), Producer()
    consumer = a_consumer(database, producer, subscription(handler))
    sent = updated()
    without_id = sent.model_dump_json(exclude={"event_id", "occurred_at"}).encode()

    await consumer._apply_batch(records([without_id]))

    [[delivery]] = handler.batches
    assert delivery.payload == CaseSubmission.model_validate(sent.payload)
    assert delivery.case_id == sent.case_id and producer.sent == []
