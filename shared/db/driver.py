"""The asyncpg connection under a SQLAlchemy session, for statements on hot paths.

Each statement through SQLAlchemy costs about 0.4-0.6 ms of Python on top of the driver's 0.1-0.2 ms on this
machine (bench/PROFILE.md); a handful of them per request is most of intake's time. Statements sent here run on
the session's own connection, inside its transaction, with asyncpg's prepared-statement cache. JSONB parameters
are JSON text and come back decoded (SQLAlchemy's asyncpg dialect installs those codecs on every connection).
"""

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol, cast

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

# An asyncpg.Record: read by column name or position (asyncpg ships no type hints).
Row = Any


class DriverConnection(Protocol):
    """The part of asyncpg.Connection the statements on hot paths use."""

    async def execute(self, query: str, *args: Any) -> str: ...

    async def executemany(self, command: str, args: Iterable[Sequence[Any]]) -> None: ...

    async def fetch(self, query: str, *args: Any) -> list[Row]: ...

    async def fetchrow(self, query: str, *args: Any) -> Row:
        """The first row, or None when there is none (Row is untyped, so the None is not checked)."""
        ...

    async def fetchval(self, query: str, *args: Any, column: int = 0) -> Any: ...

    def transaction(self, *, isolation: str | None = None) -> Any: ...

    def is_closed(self) -> bool: ...


async def driver_connection(source: AsyncSession | AsyncConnection) -> DriverConnection:
    """asyncpg.Connection of the session's (or connection's) current transaction (asyncpg ships no type
    hints).

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, before the first statement it executes itself; a
    statement sent to the driver first would run in autocommit. So the transaction is begun here, the way
    the adapter does it (tests/integration/test_driver_connection.py holds it to that: a rollback undoes
    what was sent here)."""
    connection = await source.connection() if isinstance(source, AsyncSession) else source
    pooled = await connection.get_raw_connection()
    adapted: Any = pooled.dbapi_connection
    if adapted._transaction is None:
        await adapted._start_transaction()
    return cast(DriverConnection, pooled.driver_connection)


@asynccontextmanager
async def autocommit_driver_connection(source: AsyncSession | AsyncEngine) -> AsyncIterator[DriverConnection]:
    """asyncpg.Connection of the session (or a connection of the engine's pool) with no transaction begun: a
    statement sent to it commits on its own. For a use case that is one statement (PostgreSQL runs it
    atomically), it saves the BEGIN and COMMIT round trips; the session's own commit or rollback then sends
    nothing. From the engine, without a session, it also saves the session's own machinery (about 80 µs of
    CPU per use on this machine, bench/PROFILE.md section 9); the pool's checkout (its ping of an idle
    connection) and check-in are the same.

    Nothing is sent after the statement either, so nothing would notice a connection the statement left
    broken (a server that shut down under it, a cancellation half-way through the protocol): on any failure
    but an error the server reported, the connection is invalidated rather than handed to the next request
    (the fault suite caught one reused in that state)."""
    if isinstance(source, AsyncEngine):
        async with source.connect() as connection, _without_transaction(connection) as driver:
            yield driver
        return
    async with _without_transaction(await source.connection()) as driver:
        yield driver


@asynccontextmanager
async def _without_transaction(connection: AsyncConnection) -> AsyncIterator[DriverConnection]:
    pooled = await connection.get_raw_connection()
    adapted: Any = pooled.dbapi_connection
    if adapted._transaction is not None:
        raise RuntimeError("the session already has a transaction: use driver_connection")
    try:
        yield cast(DriverConnection, pooled.driver_connection)
    except asyncpg.PostgresError:
        raise
    except BaseException:
        await connection.invalidate()
        raise
