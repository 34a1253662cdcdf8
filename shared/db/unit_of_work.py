"""A use case's transaction, in one place: open it, commit it, and wake the outbox relay after the commit so
that what the transaction wrote to the outbox is published at once. Routes and consumers never begin
transactions or wake the relay themselves; they hand a unit of work to the use case."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db.driver import DriverConnection, autocommit_driver_connection
from shared.db.engine import SessionFactory


class UnitOfWork(Protocol):
    def begin(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session in a transaction: committed when the block ends, rolled back if it raises."""
        ...

    def read(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session for reading only (no transaction is kept open beyond what the reads need)."""
        ...

    def autocommit(self) -> AbstractAsyncContextManager[DriverConnection]:
        """A driver connection outside any transaction, for a use case that is one statement (PostgreSQL
        runs it atomically and it commits on its own); the relay is woken when the block ends without error."""
        ...


class SessionUnitOfWork:
    def __init__(self, sessions: SessionFactory, after_commit: Callable[[], None] = lambda: None) -> None:
        self._sessions = sessions
        self._after_commit = after_commit

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            yield session
        self._after_commit()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[DriverConnection]:
        engine: AsyncEngine = self._sessions.kw["bind"]
        async with autocommit_driver_connection(engine) as connection:
            yield connection
        self._after_commit()
