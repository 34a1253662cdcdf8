"""When a producer is renewed (shared/kafka/producer.py): once per failure however many senders find it
broken, never because of a delivery of a producer already replaced, and again later when the broker could
not be reached. Fake producers: this is the bookkeeping only (the real broker case is
tests/integration/test_producer_renewal.py)."""

import asyncio
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaProducer

from shared.kafka.producer import RenewableProducer


class FakeProducer:
    def __init__(self, starts: list["FakeProducer"], fail_start: bool) -> None:
        self.stopped = False
        self._starts = starts
        self._fail_start = fail_start

    async def start(self) -> None:
        await asyncio.sleep(0.01)  # a real start is a round trip: others may call usable() meanwhile
        if self._fail_start:
            raise ConnectionError("broker away")
        self._starts.append(self)

    async def stop(self) -> None:
        self.stopped = True


def renewable(fail_starts: int = 0) -> tuple[RenewableProducer, list[FakeProducer]]:
    started: list[FakeProducer] = []
    failures = iter([False] + [True] * fail_starts)  # the first producer starts; then `fail_starts` fail

    def create() -> AIOKafkaProducer:
        return cast(AIOKafkaProducer, FakeProducer(started, next(failures, False)))

    return RenewableProducer(create), started


async def test_concurrent_senders_renew_once_and_the_old_producer_is_closed() -> None:
    producer, started = renewable()
    await producer.start()
    first = producer.current
    producer.mark_broken(RuntimeError("OutOfOrderSequenceNumber"), first)
    got = await asyncio.gather(*(producer.usable() for _ in range(5)))
    assert len(started) == 2 and all(p is started[1] for p in got)
    await asyncio.sleep(0)
    assert cast(Any, first).stopped
    await producer.stop(1)


async def test_a_failure_of_a_replaced_producer_does_not_renew_again() -> None:
    producer, started = renewable()
    await producer.start()
    old = producer.current
    producer.mark_broken(RuntimeError("LeaderNotAvailableError"), old)
    await producer.usable()
    producer.mark_broken(RuntimeError("a late failure of the old one"), old)
    assert await producer.usable() is started[1]
    assert len(started) == 2
    await producer.stop(1)


async def test_while_the_broker_is_away_it_stays_due_for_renewal() -> None:
    producer, started = renewable(fail_starts=1)
    await producer.start()
    producer.mark_broken(RuntimeError("failed"), producer.current)
    with pytest.raises(ConnectionError):
        await producer.usable()
    assert await producer.usable() is not started[0]
    assert len(started) == 2
    await producer.stop(1)
