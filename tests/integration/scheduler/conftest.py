"""A database of the scheduler's own for these tests (only its schema, migrated to head), emptied before
each test: the tests here count clinicians and slots, so they must not share them with other tests."""

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.db.engine import SessionFactory, create_session_factory
from shared.db.migrate import ROOT
from shared.db.migrations import upgrade_to_head
from tests.support.infrastructure import Infrastructure

TABLES = (
    "agenda_items",
    "active_placements",
    "meeting_absences",
    "meetings",
    "meeting_series",
    "team_members",
    "teams",
    "booking_participants",
    "bookings",
    "availability_windows",
    "clinicians",
    "case_state",
    "audit_log",
    "outbox",
    "inbox",
)


async def _admin(url: str, statement: str) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def scheduler_database_url(infrastructure: Infrastructure, run_id: str) -> Iterator[str]:
    import asyncio

    name = f"bonemets_test_{run_id}_scheduler"
    admin = infrastructure.admin_database_url
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_to_head(ROOT / "services" / "scheduler" / "migrations", url, "scheduler")
        yield url
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
async def engine(scheduler_database_url: str) -> AsyncIterator[AsyncEngine]:
    # Room for 50 concurrent transactions (the race test) and a few more.
    engine = create_async_engine(scheduler_database_url, pool_size=55, max_overflow=5, pool_timeout=30)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sessions(engine: AsyncEngine) -> SessionFactory:
    async with engine.begin() as connection:
        await connection.execute(
            text(f"TRUNCATE {', '.join(f'scheduler.{t}' for t in TABLES)} RESTART IDENTITY CASCADE")
        )
    return create_session_factory(engine)
