"""Creates the contract's topics and their dead-letter topics when they are missing (development and tests;
in production the platform's KafkaTopic resources own them)."""

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.contracts.events import Topic
from shared.kafka.client import client_options
from shared.settings import ServiceSettings

DLQ_SUFFIX = ".dlq"


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
        return wanted
    finally:
        await admin.close()
