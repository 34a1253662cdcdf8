"""One JSON line per log event, with the active trace and span ids. Messages never carry patient data:
code logs ids, counts and error types only."""

import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType

from opentelemetry import trace


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        if record.exc_info and record.exc_info[0] is not None:
            line["error_type"] = record.exc_info[0].__name__
            line["error_at"] = error_frames(record.exc_info[2])
        return json.dumps(line)


def error_frames(tb: TracebackType | None, most: int = 12) -> list[str]:
    """Where an error was raised, innermost last, as module:function:line: enough to find the cause in a
    library, and no values (an exception's message may quote a record's content)."""
    frames = traceback.extract_tb(tb)[-most:]
    return [f"{_module_of(frame.filename)}:{frame.name}:{frame.lineno}" for frame in frames]


def _module_of(filename: str) -> str:
    marker = "site-packages/"
    if marker in filename:
        filename = filename.split(marker, 1)[1]
    elif os.path.isabs(filename) and filename.startswith(os.getcwd() + os.sep):
        filename = os.path.relpath(filename)
    return filename.removesuffix(".py").replace(os.sep, ".")


class RepeatedMessageFilter(logging.Filter):
    """Lets one record of a repeated message through per window, and says how many it held back.

    While the broker is away, aiokafka's producer retries a metadata update without backoff for as long as
    a partition has no leader: thousands of identical "Unable connect" lines a second, whose writing took
    CPU from the broker's own restart on a two-core machine."""

    def __init__(self, prefix: str, window_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self._prefix = prefix
        self._window = window_seconds
        self._clock = clock
        self._last_let_through: dict[tuple[str, object], float] = {}
        self._held_back: dict[tuple[str, object], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self._prefix):
            return True
        key = (record.name, record.msg)
        now = self._clock()
        last = self._last_let_through.get(key)
        if last is not None and now - last < self._window:
            self._held_back[key] = self._held_back.get(key, 0) + 1
            return False
        self._last_let_through[key] = now
        held_back = self._held_back.pop(key, 0)
        if held_back:
            record.msg = f"{record.msg} ({held_back} more like this held back)"
        return True


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(RepeatedMessageFilter("aiokafka"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log would print request paths with case ids; keep it off, metrics cover traffic.
    logging.getLogger("uvicorn.access").disabled = True
