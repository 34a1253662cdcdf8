"""A unit of work for in-process route tests: no database. It counts what the route's use case did with it
(transactions committed or rolled back, reads, single statements in autocommit) and hands out a session (or
connection) stand-in that refuses any query, so a route test that reaches SQL fails loudly instead of
passing by accident."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


class NoDatabaseSession:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a route test reached the database (session.{name}); fake the use case")


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.committed = 0
        self.rolled_back = 0
        self.reads = 0
        self.autocommits = 0

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Any]:
        try:
            yield NoDatabaseSession()
        except BaseException:
            self.rolled_back += 1
            raise
        self.committed += 1

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Any]:
        self.reads += 1
        yield NoDatabaseSession()

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[Any]:
        yield NoDatabaseSession()
        self.autocommits += 1
