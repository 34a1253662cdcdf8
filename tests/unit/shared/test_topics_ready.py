"""A topic counts as ready for consumers only once every partition has a leader in the broker's metadata."""

from typing import Any

from shared.kafka.topics import _led


def _topic(*leaders: int, error: int = 0) -> dict[str, Any]:
    return {
        "error_code": error,
        "topic": "t",
        "partitions": [
            {"error_code": 0, "partition": n, "leader": leader} for n, leader in enumerate(leaders)
        ],
    }


def test_every_partition_led_is_ready() -> None:
    assert _led(_topic(1, 1, 1))


def test_a_partition_without_leader_or_a_topic_without_partitions_or_with_an_error_is_not() -> None:
    assert not _led(_topic(1, -1, 1))
    assert not _led(_topic())
    assert not _led(_topic(1, error=3))  # UNKNOWN_TOPIC_OR_PARTITION
