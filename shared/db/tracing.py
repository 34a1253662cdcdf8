"""Database client spans for asyncpg, named by the OpenTelemetry semantic conventions for databases.

Replaces opentelemetry-instrumentation-asyncpg, which made a root span of every statement (the relays' and
consumers' idle polls were some 40 single-span traces a second in Jaeger) and named them by their first word
(`INSERT`, `WITH`, `BEGIN;`). Here:
- a statement is a span only inside work already traced (a request, a record, a named unit of work); with no
  current sampled span it is not recorded at all, so a loop that finds nothing to do leaves no trace;
- the span is named by its query summary (`INSERT intake.outbox`, `SELECT scheduler.clinicians`), with
  `db.system.name`, `db.namespace`, `db.query.summary`, `db.operation.name`, `db.collection.name`, the server
  address, and `db.query.text` with every literal replaced by `?` (parameter values are never recorded);
- BEGIN, COMMIT, ROLLBACK, SAVEPOINT and RELEASE are events on the current span, not spans.
"""

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import asyncpg.connection
import asyncpg.prepared_stmt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, TracerProvider

from shared.db.query_summary import sanitized_text, summarize

_CONNECTION_METHODS = ("execute", "executemany", "fetch", "fetchval", "fetchrow", "fetchmany")
_PREPARED_METHODS = ("fetch", "fetchval", "fetchrow", "fetchmany", "executemany")
_MARK = "_bonemets_traced"

_tracer = trace.get_tracer(__name__)


def statement_attributes(connection: Any, query: str, *, batch_size: int | None = None) -> dict[str, Any]:
    summary = summarize(query)
    attributes: dict[str, Any] = {"db.system.name": "postgresql", "db.query.summary": summary.summary}
    if summary.operation:
        attributes["db.operation.name"] = summary.operation
    if summary.collection:
        attributes["db.collection.name"] = summary.collection
    attributes["db.query.text"] = sanitized_text(query)
    if batch_size is not None and batch_size > 1:
        attributes["db.operation.batch.size"] = batch_size
    params = getattr(connection, "_params", None)
    database = getattr(params, "database", None)
    if database:
        attributes["db.namespace"] = database
    address = getattr(connection, "_addr", None)
    if isinstance(address, tuple) and len(address) >= 2:
        attributes["server.address"], attributes["server.port"] = address[0], address[1]
    return attributes


def _traced_parent() -> Span | None:
    if not is_instrumentation_enabled():
        return None
    parent = trace.get_current_span()
    context = parent.get_span_context()
    return parent if context.is_valid and context.trace_flags.sampled else None


async def _traced(
    call: Callable[..., Awaitable[Any]],
    connection: Any,
    query: str,
    batch_size: int | None,
    *args: Any,
    **kw: Any,
) -> Any:
    parent = _traced_parent()
    if parent is None or not isinstance(query, str):
        return await call(*args, **kw)
    summary = summarize(query)
    if summary.transaction_control:
        if parent.is_recording():
            parent.add_event(summary.operation, {"db.system.name": "postgresql"})
        return await call(*args, **kw)
    attributes = statement_attributes(connection, query, batch_size=batch_size)
    name = summary.summary or "postgresql"
    with _tracer.start_as_current_span(
        name,
        kind=SpanKind.CLIENT,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            return await call(*args, **kw)
        except Exception as error:
            # The class and SQLSTATE only: a server message may quote a row's values.
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.set_attribute("error.type", type(error).__qualname__)
            sqlstate = getattr(error, "sqlstate", None)
            if sqlstate:
                span.set_attribute("db.response.status_code", str(sqlstate))
            raise


def _wrap_connection_method(
    original: Callable[..., Awaitable[Any]], name: str
) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(original)
    async def wrapper(self: Any, *args: Any, **kw: Any) -> Any:
        query = args[0] if args else kw.get("query", "")
        batch = (
            len(args[1]) if name == "executemany" and len(args) > 1 and hasattr(args[1], "__len__") else None
        )
        return await _traced(original, self, query, batch, self, *args, **kw)

    setattr(wrapper, _MARK, True)
    return wrapper


def _wrap_prepared_method(
    original: Callable[..., Awaitable[Any]], name: str
) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(original)
    async def wrapper(self: Any, *args: Any, **kw: Any) -> Any:
        batch = len(args[0]) if name == "executemany" and args and hasattr(args[0], "__len__") else None
        connection = getattr(self, "_connection", None)
        return await _traced(
            original, connection, getattr(self, "_query", "") or "", batch, self, *args, **kw
        )

    setattr(wrapper, _MARK, True)
    return wrapper


def instrument_asyncpg(tracer_provider: TracerProvider | None = None) -> None:
    """Idempotent: wraps asyncpg's statement methods once per process. Spans go to the global tracer
    provider, or to `tracer_provider` (tests)."""
    global _tracer
    if tracer_provider is not None:
        _tracer = tracer_provider.get_tracer(__name__)
    for cls, names, wrap in (
        (asyncpg.connection.Connection, _CONNECTION_METHODS, _wrap_connection_method),
        (asyncpg.prepared_stmt.PreparedStatement, _PREPARED_METHODS, _wrap_prepared_method),
    ):
        for name in names:
            original = getattr(cls, name, None)
            if original is None or getattr(original, _MARK, False):
                continue
            setattr(cls, name, wrap(original, name))
