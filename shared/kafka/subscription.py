"""What a service consumes, declared once in its consumer.py and registered with `ServiceRuntime.subscribe`:
the topics, the event types it takes from them and the one batch handler that applies them. The consumer
derives the rest (shared/kafka/consumer.py): the one-at-a-time fallback, the parsed payloads, the dead
letters for any other event type."""

from dataclasses import dataclass

from shared.contracts.events import EventType, Topic
from shared.contracts.messages import TOPIC_OF_EVENT
from shared.kafka.consumer import BatchHandler


@dataclass(frozen=True)
class Subscription:
    name: str
    topics: tuple[Topic, ...]
    event_types: frozenset[EventType]
    handler: BatchHandler

    def __post_init__(self) -> None:
        stray = sorted(t.value for t in self.event_types if TOPIC_OF_EVENT[t] not in self.topics)
        if stray:
            raise ValueError(f"subscription {self.name}: {stray} are not on its topics")
