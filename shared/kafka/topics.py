"""Creates the contract's topics and their dead-letter topics when they are missing (development and tests;
in production the platform's KafkaTopic resources own them)."""

import asyncio
import contextlib
import time
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.contracts.events import Topic
from shared.kafka.client import client_options
from shared.settings import ServiceSettings

DLQ_SUFFIX = ".dlq"
READY_TIMEOUT_SECONDS = 30.0


def all_topic_names(settings: ServiceSettings) -> list[str]:
    names = [settings.topic(topic.value) for topic in Topic]
    return names + [name + DLQ_SUFFIX for name in names]


async def ensure_topics(settings: ServiceSettings, partitions: int = 6) -> list[str]:
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [name for name in all_topic_names(settings) if name not in existing]
        if wanted:
            # Another instance may create them first.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(name, partitions if not name.endswith(DLQ_SUFFIX) else 1, 1) for name in wanted]
                )
        await _until_led(admin, all_topic_names(settings))
        return wanted
    finally:
        await admin.close()


async def _until_led(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    """Returns once every partition of every topic has a leader in the broker's metadata. A topic just
    created (by this instance or another one starting beside it) can be listed before its partitions are:
    a consumer that joins its group then is assigned none of them, and gets them only at its next metadata
    refresh, minutes later."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        led = {topic.get("topic") for topic in await admin.describe_topics(names) if _led(topic)}
        if led >= set(names):
            return
        if time.monotonic() > deadline:
            raise ConnectionError("the topics' partitions have no leader yet")
        await asyncio.sleep(0.2)


def _led(topic: dict[str, Any]) -> bool:
    partitions = topic.get("partitions") or []
    return (
        topic.get("error_code", 0) == 0
        and bool(partitions)
        and all(p.get("error_code", 0) == 0 and p.get("leader", -1) >= 0 for p in partitions)
    )
