"""The outbox backlog gauges an alert reads (deploy/prometheus/rules: OutboxBacklogOld): how many rows wait
and how old the oldest is, refreshed from the table; 0 when nothing waits."""

import uuid
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import MetaData, Table, text, update
from sqlalchemy.schema import CreateSchema

from shared.contracts.events import EventEnvelope, EventType
from shared.db.engine import create_engine, create_session_factory
from shared.kafka.client import create_producer
from shared.kafka.outbox import OutboxRelay, add_to_outbox, outbox_table
from shared.kafka.producer import RenewableProducer
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


def gauge(name: str) -> float | None:
    return REGISTRY.get_sample_value(name)


@pytest.fixture
async def outbox(settings: ServiceSettings) -> AsyncIterator[Table]:
    """An outbox of its own, which no running relay publishes from."""
    schema = f"backlog_{uuid.uuid4().hex[:8]}"
    table = outbox_table(MetaData(), schema)
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.execute(CreateSchema(schema))
        await conn.run_sync(table.metadata.create_all)
    yield table
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    await engine.dispose()


async def test_the_gauges_show_the_backlog_and_the_age_of_its_oldest_row(
    settings: ServiceSettings, outbox: Table
) -> None:
    engine = create_engine(settings)
    relay = OutboxRelay(engine, outbox, RenewableProducer(lambda: create_producer(settings)))
    try:
        assert await relay.pending_count() == 0
        assert gauge("outbox_oldest_pending_age_seconds") == 0

        sessions = create_session_factory(engine)
        for version in (1, 2):
            envelope = EventEnvelope(
                event_type=EventType.case_updated, case_id=uuid.uuid4(), case_version=version, payload={}
            )
            async with sessions() as session, session.begin():
                await add_to_outbox(session, outbox, "case-events", envelope)
        async with engine.begin() as conn:  # the first row has waited 90 s, the second a moment
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == (await conn.scalar(text(f"SELECT min(id) FROM {outbox.fullname}"))))
                .values(created_at=text("now() - interval '90 seconds'"))
            )
        assert await relay.pending_count() == 2
        assert gauge("outbox_pending_events") == 2
        assert 90 <= (gauge("outbox_oldest_pending_age_seconds") or 0) < 120

        async with engine.begin() as conn:
            await conn.execute(update(outbox).values(published_at=text("now()")))
        assert await relay.pending_count() == 0
        assert gauge("outbox_oldest_pending_age_seconds") == 0
    finally:
        await engine.dispose()
