"""Statements sent to the driver under a session (shared/db/driver.py) are in the session's transaction:
a rollback undoes them, a commit keeps them, and the session's own statements see them before the commit.
On the autocommit connection, a statement commits on its own."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.driver import autocommit_driver_connection, driver_connection
from shared.db.engine import create_engine, create_session_factory
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine_and_table(database_url: str) -> AsyncIterator[tuple[AsyncEngine, str]]:
    engine = create_engine(ServiceSettings(database_url=database_url))
    table = f"driver_{uuid.uuid4().hex[:8]}"
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {table} (id uuid PRIMARY KEY)"))
    yield engine, table
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE {table}"))
    await engine.dispose()


async def count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


@pytest.mark.parametrize("ending", ["rollback", "error"])
async def test_a_rollback_undoes_what_was_sent_to_the_driver(
    engine_and_table: tuple[AsyncEngine, str], ending: str
) -> None:
    engine, table = engine_and_table
    sessions = create_session_factory(engine)
    with pytest.raises(RuntimeError) if ending == "error" else contextlib.nullcontext():
        async with sessions() as session, session.begin():
            connection = await driver_connection(session)
            await connection.execute(f"INSERT INTO {table} VALUES ($1)", uuid.uuid4())
            if ending == "error":
                raise RuntimeError("the use case fails after its first statement")
            await session.rollback()
    assert await count(engine, table) == 0


async def test_a_commit_keeps_it_and_the_session_sees_it_before(
    engine_and_table: tuple[AsyncEngine, str],
) -> None:
    engine, table = engine_and_table
    sessions = create_session_factory(engine)
    async with sessions() as session, session.begin():
        connection = await driver_connection(session)
        await connection.execute(f"INSERT INTO {table} VALUES ($1)", uuid.uuid4())
        assert await session.scalar(text(f"SELECT count(*) FROM {table}")) == 1
        assert (await driver_connection(session)) is connection
    assert await count(engine, table) == 1


async def test_an_autocommit_statement_commits_on_its_own_and_needs_no_open_transaction(
    engine_and_table: tuple[AsyncEngine, str],
) -> None:
    engine, table = engine_and_table
    sessions = create_session_factory(engine)
    with pytest.raises(RuntimeError, match="the use case fails"):
        async with (
            sessions() as session,
            session.begin(),
            autocommit_driver_connection(session) as connection,
        ):
            await connection.execute(f"INSERT INTO {table} VALUES ($1)", uuid.uuid4())
            raise RuntimeError("the use case fails after its one statement")
    assert await count(engine, table) == 1  # one statement is its own transaction

    async with sessions() as session, session.begin():
        await driver_connection(session)
        with pytest.raises(RuntimeError, match="already has a transaction"):
            async with autocommit_driver_connection(session):
                pass


async def test_an_autocommit_connection_left_in_doubt_is_never_reused(
    engine_and_table: tuple[AsyncEngine, str],
) -> None:
    engine, table = engine_and_table
    sessions = create_session_factory(engine)
    row = uuid.uuid4()
    # An error the server reported leaves the connection usable.
    async with sessions() as session, autocommit_driver_connection(session) as connection:
        await connection.execute(f"INSERT INTO {table} VALUES ($1)", row)
    with pytest.raises(asyncpg.UniqueViolationError):
        async with sessions() as session, autocommit_driver_connection(session) as connection:
            await connection.execute(f"INSERT INTO {table} VALUES ($1)", row)
    assert not connection.is_closed()
    # Any other failure (a lost server, a cancellation mid-protocol) may leave it half-way: it is closed.
    with pytest.raises(asyncio.CancelledError):
        async with sessions() as session, autocommit_driver_connection(session) as connection:
            raise asyncio.CancelledError
    assert connection.is_closed()
    assert await count(engine, table) == 1
