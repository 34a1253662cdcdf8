"""Inbox: the ids of events a consumer has applied, written in the same transaction as the effect."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Column, DateTime, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.driver import driver_connection


def inbox_table(metadata: MetaData, schema: str) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", PG_UUID(as_uuid=True), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        schema=schema,
    )


async def record_first_delivery(session: AsyncSession, table: Table, consumer: str, event_id: UUID) -> bool:
    """True the first time this consumer sees the event; False for a redelivery (apply nothing)."""
    return bool(await record_first_deliveries(session, table, consumer, [event_id]))


async def record_first_deliveries(
    session: AsyncSession, table: Table, consumer: str, event_ids: Sequence[UUID]
) -> set[UUID]:
    """The ids among `event_ids` this consumer sees for the first time, in one statement (on the driver: it
    runs for every polled batch)."""
    connection = await driver_connection(session)
    rows = await connection.fetch(
        f"INSERT INTO {table.fullname} (consumer, event_id) SELECT $1, unnest($2::uuid[])"
        " ON CONFLICT DO NOTHING RETURNING event_id",
        consumer,
        list(dict.fromkeys(event_ids)),
    )
    return {row["event_id"] for row in rows}
