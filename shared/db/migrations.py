"""Runs a service's alembic migrations to head, one instance at a time (advisory lock)."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(script_location: Path, database_url: str, schema: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["schema"] = schema
    return config


def upgrade_to_head(script_location: Path, database_url: str, schema: str) -> None:
    """Blocking: call from a thread (the service's start-up does) or from the command line."""
    command.upgrade(alembic_config(script_location, database_url, schema), "head")


async def upgrade_to_head_async(script_location: Path, database_url: str, schema: str) -> None:
    await asyncio.to_thread(upgrade_to_head, script_location, database_url, schema)


def run_env(context: object, target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    from alembic import context as alembic_context

    config = alembic_context.config
    schema: str = config.attributes["schema"]
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None

    def include_object(
        obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
    ) -> bool:
        return type_ != "table" or getattr(obj, "schema", None) == schema

    def do_run(connection: Connection) -> None:
        # Several instances may start at once: the first migrates, the others wait and find nothing to do.
        connection.execute(text("SELECT pg_advisory_lock(hashtext(:s))"), {"s": f"migrate:{schema}"})
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.commit()
        alembic_context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_object=include_object,
        )
        with alembic_context.begin_transaction():
            alembic_context.run_migrations()
        connection.execute(text("SELECT pg_advisory_unlock(hashtext(:s))"), {"s": f"migrate:{schema}"})
        connection.commit()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())
