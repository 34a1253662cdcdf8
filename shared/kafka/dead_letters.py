"""Shows and replays dead letters.

    python -m shared.kafka.dead_letters list [TOPIC ...]      # every <topic>.dlq record: where from, why
    python -m shared.kafka.dead_letters replay TOPIC [--offset N ...]

Listing prints headers and sizes only, never record values (they may hold clinical data). Replaying sends the
original bytes back to the original topic, after whatever made them fail has been fixed; consumers are
idempotent on event_id, so a record that was in fact applied changes nothing.
"""

import argparse
import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts.events import Topic
from shared.kafka.client import client_options
from shared.kafka.topics import DLQ_SUFFIX
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class DeadLetter:
    dlq_topic: str
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]
    raw_headers: list[tuple[str, bytes]]

    def describe(self) -> str:
        h = self.headers
        return (
            f"{self.dlq_topic}@{self.offset}: {h.get('dlq.error', '?')} from "
            f"{h.get('dlq.original_topic', '?')}[{h.get('dlq.original_partition', '?')}]@"
            f"{h.get('dlq.original_offset', '?')} by {h.get('dlq.consumer', '?')}: {h.get('dlq.detail', '')} "
            f"({len(self.value or b'')} bytes)"
        )


async def read_dead_letters(settings: ServiceSettings, topic: str) -> list[DeadLetter]:
    dlq_topic = settings.topic(topic) + DLQ_SUFFIX
    consumer = AIOKafkaConsumer(**client_options(settings), group_id=None, enable_auto_commit=False)
    await consumer.start()
    letters: list[DeadLetter] = []
    try:
        partitions = [TopicPartition(dlq_topic, p) for p in await _partition_ids(settings, dlq_topic)]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end_offsets = await consumer.end_offsets(partitions)
        remaining = {tp for tp, end in end_offsets.items() if end > 0}
        while remaining:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                for r in records:
                    raw = list(r.headers or ())
                    letters.append(
                        DeadLetter(
                            dlq_topic,
                            r.offset,
                            r.key,
                            r.value,
                            {k: v.decode("utf-8", "replace") for k, v in raw},
                            raw,
                        )
                    )
                    if r.offset + 1 >= end_offsets[tp]:
                        remaining.discard(tp)
    finally:
        await consumer.stop()
    return letters


async def _partition_ids(settings: ServiceSettings, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for t in described if t["error_code"] == 0 for p in t["partitions"])


async def replay(settings: ServiceSettings, topic: str, offsets: set[int] | None) -> int:
    letters = [d for d in await read_dead_letters(settings, topic) if offsets is None or d.offset in offsets]
    producer = AIOKafkaProducer(**client_options(settings), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for letter in letters:
            original = letter.headers.get("dlq.original_topic", settings.topic(topic))
            headers = [(k, v) for k, v in letter.raw_headers if not k.startswith("dlq.")]
            await producer.send_and_wait(original, letter.value, key=letter.key, headers=headers)
    finally:
        await producer.stop()
    return len(letters)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("list")
    show.add_argument("topics", nargs="*", default=[t.value for t in Topic])
    again = sub.add_parser("replay")
    again.add_argument("topic", choices=[t.value for t in Topic])
    again.add_argument("--offset", type=int, action="append")
    args = parser.parse_args()
    settings = ServiceSettings()
    if args.command == "list":
        for topic in args.topics:
            letters = asyncio.run(read_dead_letters(settings, topic))
            print(f"{settings.topic(topic)}{DLQ_SUFFIX}: {len(letters)} dead letter(s)")
            for letter in letters:
                print("  " + letter.describe())
    else:
        count = asyncio.run(replay(settings, args.topic, set(args.offset) if args.offset else None))
        print(f"replayed {count} record(s) to {settings.topic(args.topic)}")


if __name__ == "__main__":
    main()
