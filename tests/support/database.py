"""A database of its own for each test run, migrated to head, dropped afterwards."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy.engine import make_url

from shared.db.migrate import ROOT, SERVICES
from shared.db.migrations import upgrade_to_head


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def run_database(admin_url: str, name: str) -> Iterator[str]:
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    for service in SERVICES:
        upgrade_to_head(ROOT / "services" / service / "migrations", url, service)
    try:
        yield url
    finally:
        asyncio.run(_drop(admin_url, name))


async def _drop(admin_url: str, name: str) -> None:
    """DROP ... WITH (FORCE) ends the sessions still in the database; a role without pg_signal_backend (an
    endpoint given from outside) cannot end an autovacuum worker's, which is gone a moment later."""
    for attempt in range(10):
        try:
            await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except asyncpg.InsufficientPrivilegeError:
            if attempt == 9:
                raise
            await asyncio.sleep(0.5)
