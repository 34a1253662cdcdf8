"""Inbox: the ids of events a consumer has applied, written in the same transaction as the effect."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Column, DateTime, MetaData, Table, Text, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession


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
    result = await session.execute(
        insert(table)
        .values(consumer=consumer, event_id=event_id)
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )
    return result.first() is not None


async def record_first_deliveries(
    session: AsyncSession, table: Table, consumer: str, event_ids: Sequence[UUID]
) -> set[UUID]:
    """The ids among `event_ids` this consumer sees for the first time, in one statement."""
    ids = bindparam("event_ids", list(dict.fromkeys(event_ids)), type_=ARRAY(PG_UUID(as_uuid=True)))
    result = await session.execute(
        insert(table)
        .from_select(["consumer", "event_id"], select(literal(consumer, Text), func.unnest(ids)))
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )
    return {row[0] for row in result}
