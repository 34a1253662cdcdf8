"""What every service runs beside its HTTP API: database engine, Kafka producer, outbox relay and
consumers, started in the FastAPI lifespan and stopped in order on shutdown."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import SessionFactory, create_engine, create_session_factory
from shared.db.migrations import upgrade_to_head_async
from shared.db.tracing import instrument_asyncpg
from shared.db.unit_of_work import SessionUnitOfWork
from shared.http.app import ReadinessCheck
from shared.kafka.client import client_options, create_producer
from shared.kafka.consumer import EventConsumer
from shared.kafka.outbox import OutboxRelay
from shared.kafka.producer import RenewableProducer
from shared.kafka.subscription import Subscription
from shared.kafka.topics import ensure_topics
from shared.settings import ServiceSettings
from shared.telemetry import setup_tracing

log = logging.getLogger(__name__)
STOP_TIMEOUT_SECONDS = 10.0


def freeze_startup_heap() -> None:
    """Takes what starting the service allocated (modules, the application, pydantic's and SQLAlchemy's
    schemas: some 140,000 objects) out of the garbage collector's reach; it lives as long as the process.
    Every full collection scanned all of it, and a consumer batch's short-lived objects set one off every few
    batches: in eligibility's drain that was about 40 % of the CPU per event (bench/PROFILE.md, section 9).
    Objects allocated afterwards are collected as before."""
    gc.collect()
    gc.freeze()


class ServiceRuntime:
    def __init__(
        self, settings: ServiceSettings, *, schema: str, migrations: Path, outbox: Table, inbox: Table
    ) -> None:
        setup_tracing(settings.service_name)
        self.settings = settings
        self.schema = schema
        self._migrations = migrations
        self.engine: AsyncEngine = create_engine(settings)
        # Client spans for the statements of traced work, at the driver (the SQLAlchemy instrumentation does
        # not support SQLAlchemy 2.1 yet); shared/db/tracing.py says what they record.
        instrument_asyncpg()
        self.sessions: SessionFactory = create_session_factory(self.engine)
        self.producer = RenewableProducer(lambda: create_producer(settings))
        self.producer_ready = asyncio.Event()
        self.inbox = inbox
        self.relay = OutboxRelay(
            self.engine,
            outbox,
            self.producer,
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
        )
        # What routes and workers hand to use cases: a transaction that wakes the relay after its commit.
        self.unit_of_work = SessionUnitOfWork(self.sessions, self.relay.wake)
        self.consumers: list[EventConsumer] = []
        self._tasks: list[asyncio.Task[None]] = []

    def subscribe(self, subscription: Subscription) -> EventConsumer:
        consumer = EventConsumer(
            name=subscription.name,
            topics=[self.settings.topic(topic.value) for topic in subscription.topics],
            group_id=self.settings.consumer_group(),
            event_types=subscription.event_types,
            batch_handler=subscription.handler,
            session_factory=self.sessions,
            inbox=self.inbox,
            producer=self.producer,
            client_options=client_options(self.settings),
            batch_size=self.settings.consumer_batch_size,
            after_commit=self.relay.wake,
        )
        self.consumers.append(consumer)
        return consumer

    async def start(self) -> None:
        await upgrade_to_head_async(self._migrations, self.settings.database_url, self.schema)
        freeze_startup_heap()
        self._spawn(self._start_kafka())

    async def _start_kafka(self) -> None:
        # The HTTP API serves while the broker is away; the outbox keeps events until it is back.
        backoff = 0.5
        while True:
            try:
                await ensure_topics(self.settings)
                await self.producer.start()
                break
            except Exception as error:
                log.warning("Kafka not reachable yet (%s); retrying", type(error).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
        self.producer_ready.set()
        self._spawn(self.relay.run())
        for consumer in self.running_consumers():
            self._spawn(consumer.run())

    def running_consumers(self) -> list[EventConsumer]:
        """The consumers this process runs: none in an API worker of a service with consumer processes."""
        return self.consumers if self.settings.run_consumers else []

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.append(task)
        task.add_done_callback(self._report_crash)

    @staticmethod
    def _report_crash(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("background task died", exc_info=task.exception())

    async def stop(self) -> None:
        for consumer in self.running_consumers():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.commit_processed(), STOP_TIMEOUT_SECONDS)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.producer_ready.is_set():
            await self.producer.stop(STOP_TIMEOUT_SECONDS)
        await self.engine.dispose()

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        """The FastAPI lifespan: start before serving, stop in order after."""
        await self.start()
        yield
        await self.stop()

    def readiness(self) -> dict[str, ReadinessCheck]:
        return {"database": self.check_database, "kafka": self.check_kafka}

    async def refresh_metrics(self) -> None:
        await self.relay.pending_count()

    async def check_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def check_kafka(self) -> None:
        if not self.producer_ready.is_set():
            raise ConnectionError("producer not started")
        await self.producer.current.client.fetch_all_metadata()
        for consumer in self.running_consumers():
            if not consumer.progress.running:
                raise ConnectionError(f"consumer {consumer.name} is not running")
