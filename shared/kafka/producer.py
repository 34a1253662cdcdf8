"""The service's idempotent Kafka producer, renewed after a failed delivery.

aiokafka gives a batch its sequence number when the batch leaves the accumulator and never takes it back.
A batch that fails - refused by the broker, or expired while its partition had no leader, which a broker
restart on a slow machine causes - leaves a gap, and the broker then refuses every later batch of that
partition with OutOfOrderSequenceNumber for as long as the producer lives (aio-libs/aiokafka#1017). Java's
producer bumps its epoch; aiokafka cannot, so a new producer (a new producer id, sequences from 0) takes
over. Whatever the old one still delivers while it closes may arrive twice: consumers are idempotent on
event_id.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaProducer

from shared.metrics import PRODUCER_RENEWALS

log = logging.getLogger(__name__)


class RenewableProducer:
    def __init__(self, create: Callable[[], AIOKafkaProducer]) -> None:
        self._create = create
        self._producer = create()
        self._broken_by: str | None = None
        self._renewing = asyncio.Lock()  # the relay and a dead-letter publish may both find it broken
        self._retiring: set[asyncio.Task[None]] = set()

    @property
    def current(self) -> AIOKafkaProducer:
        """The producer in use now; `usable()` first when about to send."""
        return self._producer

    async def start(self) -> None:
        await self._producer.start()

    def mark_broken(self, error: BaseException, producer: AIOKafkaProducer) -> None:
        """A delivery of `producer` failed: its partition's sequence has a gap, so the next `usable()`
        renews - unless `producer` was already replaced."""
        if producer is self._producer and self._broken_by is None:
            self._broken_by = type(error).__name__

    async def usable(self) -> AIOKafkaProducer:
        """The producer, renewed first if a delivery failed. Raises (and stays due for renewal) while the
        broker cannot be reached."""
        if self._broken_by is not None:
            async with self._renewing:
                if self._broken_by is not None:
                    await self._renew(self._broken_by)
        return self._producer

    async def _renew(self, reason: str) -> None:
        fresh = self._create()
        try:
            await fresh.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await fresh.stop()
            raise
        old, self._producer = self._producer, fresh
        self._broken_by = None
        log.warning("Kafka producer renewed after a failed delivery (%s)", reason)
        PRODUCER_RENEWALS.labels(reason).inc()
        task = asyncio.create_task(old.stop())  # flushes what it can, in the background
        self._retiring.add(task)
        task.add_done_callback(self._retired)

    def _retired(self, task: "asyncio.Task[None]") -> None:
        self._retiring.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("a renewed producer closed with %s", type(task.exception()).__name__)

    async def stop(self, grace_seconds: float) -> None:
        tasks = {asyncio.create_task(self._producer.stop()), *self._retiring}
        done, unfinished = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in unfinished:
            task.cancel()
        for task in done:
            if not task.cancelled():
                task.exception()  # retrieved and dropped: the service is stopping either way
