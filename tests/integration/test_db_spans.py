"""Database spans on the real driver (shared/db/tracing.py): named `{operation} {table}` with the semantic
conventions' attributes inside traced work, BEGIN and COMMIT as events on that work's span, no parameter
value anywhere, and nothing at all for statements outside traced work (an idle loop's polls)."""

import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.driver import driver_connection
from shared.db.engine import create_engine, create_session_factory
from shared.db.tracing import instrument_asyncpg
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

SECRET = "PSEUDO-SPAN-SECRET-42"


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument_asyncpg(provider)
    yield provider, exporter
    instrument_asyncpg(trace.get_tracer_provider())
    provider.shutdown()


@pytest.fixture
async def engine_and_table(database_url: str) -> AsyncIterator[tuple[AsyncEngine, str]]:
    engine = create_engine(ServiceSettings(database_url=database_url))
    table = f"spans_{uuid.uuid4().hex[:8]}"
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE public.{table} (id uuid PRIMARY KEY, note text)"))
    yield engine, table
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE public.{table}"))
    await engine.dispose()


async def write_and_read(engine: AsyncEngine, table: str) -> None:
    sessions = create_session_factory(engine)
    async with sessions() as session, session.begin():
        connection = await driver_connection(session)
        await connection.execute(f"INSERT INTO public.{table} VALUES ($1, $2)", uuid.uuid4(), SECRET)
        await connection.executemany(
            f"INSERT INTO public.{table} VALUES ($1, $2)", [(uuid.uuid4(), SECRET), (uuid.uuid4(), SECRET)]
        )
        # Through SQLAlchemy: a prepared statement.
        await session.execute(text(f"SELECT note FROM public.{table} WHERE note = :note"), {"note": SECRET})


async def test_statements_outside_traced_work_record_nothing(
    spans: tuple[TracerProvider, InMemorySpanExporter], engine_and_table: tuple[AsyncEngine, str]
) -> None:
    _, exporter = spans
    engine, table = engine_and_table
    exporter.clear()
    await write_and_read(engine, table)
    assert exporter.get_finished_spans() == ()


async def test_statements_of_traced_work_are_named_by_operation_and_table(
    spans: tuple[TracerProvider, InMemorySpanExporter],
    engine_and_table: tuple[AsyncEngine, str],
    database_url: str,
) -> None:
    provider, exporter = spans
    engine, table = engine_and_table
    exporter.clear()
    with provider.get_tracer("test").start_as_current_span("unit of work"):
        await write_and_read(engine, table)
    finished = exporter.get_finished_spans()
    work = next(s for s in finished if s.name == "unit of work")
    statements = [s for s in finished if s is not work]
    assert [s.name for s in statements] == [
        f"INSERT public.{table}",
        f"INSERT public.{table}",
        f"SELECT public.{table}",
    ]
    for span in statements:
        assert span.parent is not None and span.parent.span_id == work.context.span_id
        attributes = dict(span.attributes or {})
        assert attributes["db.system.name"] == "postgresql"
        assert attributes["db.namespace"] == database_url.rsplit("/", 1)[-1].split("?")[0]
        assert attributes["db.query.summary"] == span.name
        assert attributes["db.collection.name"] == f"public.{table}"
        assert "db.statement.parameters" not in attributes
    assert dict(statements[1].attributes or {})["db.operation.batch.size"] == 2
    # BEGIN and COMMIT are events on the work's span, not spans.
    assert [event.name for event in work.events] == ["BEGIN", "COMMIT"]
    assert SECRET not in repr([(s.name, dict(s.attributes or {}), s.events) for s in finished])


async def test_a_failed_statement_names_its_error_not_its_values(
    spans: tuple[TracerProvider, InMemorySpanExporter], engine_and_table: tuple[AsyncEngine, str]
) -> None:
    provider, exporter = spans
    engine, table = engine_and_table
    exporter.clear()
    duplicate = uuid.uuid4()
    sessions = create_session_factory(engine)
    with provider.get_tracer("test").start_as_current_span("unit of work"):
        async with sessions() as session, session.begin():
            connection = await driver_connection(session)
            await connection.execute(f"INSERT INTO public.{table} VALUES ($1, $2)", duplicate, SECRET)
            with pytest.raises(asyncpg.UniqueViolationError):
                await connection.execute(f"INSERT INTO public.{table} VALUES ($1, $2)", duplicate, SECRET)
            await session.rollback()
    failed: ReadableSpan = [s for s in exporter.get_finished_spans() if s.name.startswith("INSERT")][-1]
    attributes = dict(failed.attributes or {})
    assert attributes["error.type"] == "UniqueViolationError"
    assert attributes["db.response.status_code"] == "23505"
    assert not failed.status.is_ok
    assert SECRET not in repr((attributes, failed.events, failed.status.description))
