"""A broker outage must not flood the log: aiokafka's repeated messages are held back to one per window,
with a count; everything else passes untouched."""

import logging

from shared.logging import RepeatedMessageFilter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_one_record_per_window_then_a_count_of_those_held_back() -> None:
    clock = Clock()
    keep = RepeatedMessageFilter("aiokafka", window_seconds=5, clock=clock)
    flood = [
        record("aiokafka", 'Unable connect to "%s": %s', "127.0.0.1:9092", "refused") for _ in range(1000)
    ]

    passed = [r for r in flood if keep.filter(r)]
    assert len(passed) == 1

    clock.now = 5.0
    later = record("aiokafka", 'Unable connect to "%s": %s', "127.0.0.1:9092", "refused")
    assert keep.filter(later)
    assert later.getMessage() == 'Unable connect to "127.0.0.1:9092": refused (999 more like this held back)'


def test_other_messages_and_other_loggers_pass() -> None:
    keep = RepeatedMessageFilter("aiokafka", window_seconds=5, clock=Clock())
    assert keep.filter(record("aiokafka", "Unable to update metadata from %s", [1]))
    assert keep.filter(record("aiokafka", "Unable connect to %s", "node"))  # another message
    assert all(
        keep.filter(record("shared.kafka.outbox", "outbox relay could not publish")) for _ in range(50)
    )
