"""Async database access: SQLAlchemy's asyncpg engine and SQLModel's AsyncSession."""

import ssl
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.settings import ServiceSettings

SessionFactory = async_sessionmaker[AsyncSession]


def _ssl_context(sslmode: str | None) -> ssl.SSLContext | bool | None:
    if sslmode in (None, "disable"):
        return None
    if sslmode == "require":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context()
    context.check_hostname = sslmode == "verify-full"
    return context


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    connect_args: dict[str, object] = {}
    context = _ssl_context(settings.database_sslmode)
    if context is not None:
        connect_args["ssl"] = context
    return create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args=connect_args,
        # JSONB columns through orjson: several times faster than the standard library on the hot paths.
        json_serializer=_json_text,
        json_deserializer=orjson.loads,
    )


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
