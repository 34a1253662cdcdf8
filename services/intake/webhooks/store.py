"""The webhook statements, sent to the driver (shared/db/driver.py): subscriptions, the deliveries written in
the transaction that records their event, the worker's claims and the attempts' outcomes."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import orjson

from services.intake.webhooks.domain.events import WebhookEvent, matching_patterns
from services.intake.webhooks.domain.schedule import should_disable
from shared.db.driver import DriverConnection
from shared.errors import ConflictError, NotFoundError

# One row per (event, matching subscription of the case's client), in the order of the events given:
# `seq` is the order in which one case's deliveries reach one endpoint. The caller holds the case's row lock
# (intake.cases FOR UPDATE), so one case's deliveries are numbered in the order their events were recorded.
_ENQUEUE = """
INSERT INTO intake.webhook_deliveries
    (webhook_id, case_id, case_version, event_id, event_type, body, trace_headers)
SELECT e.webhook_id, x.case_id, x.case_version, x.event_id, x.event_type, x.body, x.trace_headers::jsonb
FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[])
     WITH ORDINALITY AS x(case_id, case_version, event_id, event_type, body, trace_headers, pattern, ord)
JOIN intake.cases c ON c.case_id = x.case_id
JOIN intake.webhook_endpoints e
  ON e.client = c.client AND e.event_types && ARRAY[x.event_type, x.pattern]
ORDER BY x.ord, e.webhook_id
ON CONFLICT (webhook_id, event_id) DO NOTHING
"""


async def enqueue(connection: DriverConnection, events: Sequence[WebhookEvent]) -> None:
    """Call in the transaction that records the events (and holds their cases' row locks)."""
    if not events:
        return
    await connection.execute(
        _ENQUEUE,
        [e.case_id for e in events],
        [e.case_version for e in events],
        [e.event_id for e in events],
        [e.event_type for e in events],
        [e.body() for e in events],
        [orjson.dumps(e.trace_headers).decode() for e in events],
        [matching_patterns(e.event_type)[-1] for e in events],
    )


# The head of each (endpoint, case) queue that is due and not leased, for enabled endpoints; a later event of
# a case waits while an earlier one is pending (being tried, or waiting for its next try). SKIP LOCKED lets
# several instances claim at once without taking the same row; the lease, committed with the claim, keeps
# the row from the others until the attempt's outcome is written or the lease runs out (a crashed worker).
_CLAIM = """
WITH ready AS (
    SELECT d.delivery_id
    FROM intake.webhook_deliveries d
    JOIN intake.webhook_endpoints e ON e.webhook_id = d.webhook_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= now()
      AND (d.leased_until IS NULL OR d.leased_until < now())
      AND e.disabled_at IS NULL
      AND NOT EXISTS (
          SELECT 1 FROM intake.webhook_deliveries p
          WHERE p.webhook_id = d.webhook_id AND p.case_id = d.case_id
            AND p.status = 'pending' AND p.seq < d.seq)
    ORDER BY d.next_attempt_at, d.seq
    LIMIT $1
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE intake.webhook_deliveries d
SET leased_until = now() + make_interval(secs => $2), lease_token = $3
FROM ready, intake.webhook_endpoints e
WHERE d.delivery_id = ready.delivery_id AND e.webhook_id = d.webhook_id
RETURNING d.delivery_id, d.webhook_id, d.case_id, d.case_version, d.event_id, d.event_type, d.body,
          d.trace_headers, d.failures_since_queued, e.url, e.secret
"""


@dataclass(frozen=True)
class ClaimedDelivery:
    delivery_id: UUID
    webhook_id: UUID
    case_id: UUID
    case_version: int
    event_id: UUID
    event_type: str
    body: str
    trace_headers: dict[str, str]
    failures_since_queued: int
    url: str
    secret: str
    lease_token: UUID


async def claim(connection: DriverConnection, *, limit: int, lease_seconds: float) -> list[ClaimedDelivery]:
    token = uuid4()
    rows = await connection.fetch(_CLAIM, limit, lease_seconds, token)
    return [
        ClaimedDelivery(
            delivery_id=row["delivery_id"],
            webhook_id=row["webhook_id"],
            case_id=row["case_id"],
            case_version=row["case_version"],
            event_id=row["event_id"],
            event_type=row["event_type"],
            body=row["body"],
            trace_headers=row["trace_headers"] or {},
            failures_since_queued=row["failures_since_queued"],
            url=row["url"],
            secret=row["secret"],
            lease_token=token,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class AttemptRecord:
    attempted_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_body: str | None


_SETTLE = """
UPDATE intake.webhook_deliveries
SET attempts = attempts + 1,
    failures_since_queued = CASE WHEN $3 = 'delivered' THEN failures_since_queued
                                 ELSE failures_since_queued + 1 END,
    status = $3,
    delivered_at = CASE WHEN $3 = 'delivered' THEN now() END,
    next_attempt_at = COALESCE($4, next_attempt_at),
    leased_until = NULL,
    lease_token = NULL
WHERE delivery_id = $1 AND lease_token = $2
RETURNING webhook_id
"""
_ADD_ATTEMPT = """
INSERT INTO intake.webhook_attempts
    (delivery_id, attempted_at, duration_ms, status_code, error, response_body)
VALUES ($1, $2, $3, $4, $5, $6)
"""


async def settle(
    connection: DriverConnection,
    delivery: ClaimedDelivery,
    attempt: AttemptRecord,
    *,
    status: str,
    next_attempt_at: datetime | None,
    schedule_scale: float,
) -> tuple[bool, bool]:
    """Writes an attempt's outcome in the caller's transaction: (written, endpoint disabled now). Not written
    when the lease was lost (it ran out and another worker took the delivery) or the endpoint was deleted."""
    webhook_id = await connection.fetchval(
        _SETTLE, delivery.delivery_id, delivery.lease_token, status, next_attempt_at
    )
    if webhook_id is None:
        return False, False
    await connection.execute(
        _ADD_ATTEMPT,
        delivery.delivery_id,
        attempt.attempted_at,
        attempt.duration_ms,
        attempt.status_code,
        attempt.error,
        attempt.response_body,
    )
    if status == "delivered":
        await connection.execute(
            "UPDATE intake.webhook_endpoints SET failing_since = NULL"
            " WHERE webhook_id = $1 AND failing_since IS NOT NULL",
            webhook_id,
        )
        return True, False
    endpoint = await connection.fetchrow(
        "SELECT failing_since, disabled_at FROM intake.webhook_endpoints WHERE webhook_id = $1 FOR UPDATE",
        webhook_id,
    )
    failing_since = endpoint["failing_since"] or attempt.attempted_at
    disable = endpoint["disabled_at"] is None and should_disable(
        failing_since, attempt.attempted_at, schedule_scale
    )
    await connection.execute(
        "UPDATE intake.webhook_endpoints SET failing_since = $2,"
        " disabled_at = CASE WHEN $3 THEN now() ELSE disabled_at END WHERE webhook_id = $1",
        webhook_id,
        failing_since,
        disable,
    )
    return True, disable


async def oldest_pending_age_seconds(connection: DriverConnection) -> float:
    age = await connection.fetchval(
        "SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM intake.webhook_deliveries"
        " WHERE status = 'pending'"
    )
    return max(float(age or 0.0), 0.0)


# Subscriptions and the deliveries' listing, for the API.


@dataclass(frozen=True)
class Endpoint:
    webhook_id: UUID
    url: str
    event_types: list[str]
    created_at: datetime
    failing_since: datetime | None
    disabled_at: datetime | None


_ENDPOINT_COLUMNS = "webhook_id, url, event_types, created_at, failing_since, disabled_at"


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        row["webhook_id"],
        row["url"],
        list(row["event_types"]),
        row["created_at"],
        row["failing_since"],
        row["disabled_at"],
    )


async def create_endpoint(
    connection: DriverConnection, *, client: str, url: str, event_types: list[str], secret: str
) -> Endpoint:
    row = await connection.fetchrow(
        "INSERT INTO intake.webhook_endpoints (webhook_id, client, url, event_types, secret)"
        f" VALUES ($1, $2, $3, $4, $5) RETURNING {_ENDPOINT_COLUMNS}",
        uuid4(),
        client,
        url,
        event_types,
        secret,
    )
    return _endpoint(row)


async def list_endpoints(connection: DriverConnection, *, client: str) -> list[Endpoint]:
    rows = await connection.fetch(
        f"SELECT {_ENDPOINT_COLUMNS} FROM intake.webhook_endpoints WHERE client = $1"
        " ORDER BY created_at, webhook_id",
        client,
    )
    return [_endpoint(row) for row in rows]


async def endpoint_exists(connection: DriverConnection, *, client: str, webhook_id: UUID) -> bool:
    return bool(
        await connection.fetchval(
            "SELECT true FROM intake.webhook_endpoints WHERE webhook_id = $1 AND client = $2",
            webhook_id,
            client,
        )
    )


async def delete_endpoint(connection: DriverConnection, *, client: str, webhook_id: UUID) -> bool:
    """Its deliveries and their attempts go with it (ON DELETE CASCADE)."""
    # The worker settles an attempt by locking the delivery, then its endpoint; the cascade would take them
    # the other way round, and the two deadlocked (the DELETE answered 503). The deliveries first, then.
    await connection.execute(
        "SELECT 1 FROM intake.webhook_deliveries d JOIN intake.webhook_endpoints e USING (webhook_id)"
        " WHERE e.webhook_id = $1 AND e.client = $2 FOR UPDATE OF d",
        webhook_id,
        client,
    )
    deleted = await connection.fetchval(
        "DELETE FROM intake.webhook_endpoints WHERE webhook_id = $1 AND client = $2 RETURNING true",
        webhook_id,
        client,
    )
    return bool(deleted)


@dataclass(frozen=True)
class Attempt:
    attempted_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_body: str | None


@dataclass(frozen=True)
class DeliveryState:
    delivery_id: UUID
    event_id: UUID
    event_type: str
    case_id: UUID
    case_version: int
    status: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[Attempt]


_LIST_DELIVERIES = """
SELECT d.delivery_id, d.event_id, d.event_type, d.case_id, d.case_version, d.status, d.attempts,
       d.next_attempt_at, d.created_at, d.delivered_at,
       COALESCE((SELECT jsonb_agg(jsonb_build_object(
                    'attempted_at', a.attempted_at, 'duration_ms', a.duration_ms,
                    'status_code', a.status_code, 'error', a.error, 'response_body', a.response_body)
                    ORDER BY a.id)
                 FROM intake.webhook_attempts a WHERE a.delivery_id = d.delivery_id), '[]'::jsonb) AS log
FROM intake.webhook_deliveries d
WHERE d.webhook_id = $1 AND ($2::text IS NULL OR d.status = $2) AND ($3::uuid IS NULL OR d.delivery_id = $3)
ORDER BY d.seq DESC
LIMIT $4
"""


async def list_deliveries(
    connection: DriverConnection,
    *,
    webhook_id: UUID,
    status: str | None = None,
    delivery_id: UUID | None = None,
    limit: int = 100,
) -> list[DeliveryState]:
    rows = await connection.fetch(_LIST_DELIVERIES, webhook_id, status, delivery_id, limit)
    return [
        DeliveryState(
            delivery_id=row["delivery_id"],
            event_id=row["event_id"],
            event_type=row["event_type"],
            case_id=row["case_id"],
            case_version=row["case_version"],
            status=row["status"],
            attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
            created_at=row["created_at"],
            delivered_at=row["delivered_at"],
            attempt_log=[
                Attempt(
                    attempted_at=datetime.fromisoformat(a["attempted_at"]),
                    duration_ms=a["duration_ms"],
                    status_code=a["status_code"],
                    error=a["error"],
                    response_body=a["response_body"],
                )
                for a in (orjson.loads(row["log"]) if isinstance(row["log"], str) else row["log"])
            ],
        )
        for row in rows
    ]


class DeliveryNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("no delivery with this id for this webhook")


class DeliveryStillQueuedError(ConflictError):
    title = "Still queued"

    def __init__(self) -> None:
        super().__init__("the delivery is pending: it will be tried again by itself")


async def requeue(connection: DriverConnection, *, webhook_id: UUID, delivery_id: UUID) -> None:
    """A manual retry: the delivery goes back to the head of its schedule, due now, and its endpoint is
    enabled again with a fresh 5 days. Only a delivery that is not pending may be re-queued."""
    status = await connection.fetchval(
        "SELECT status FROM intake.webhook_deliveries WHERE delivery_id = $1 AND webhook_id = $2 FOR UPDATE",
        delivery_id,
        webhook_id,
    )
    if status is None:
        raise DeliveryNotFoundError
    if status == "pending":
        raise DeliveryStillQueuedError
    await connection.execute(
        "UPDATE intake.webhook_deliveries SET status = 'pending', failures_since_queued = 0,"
        " next_attempt_at = now(), delivered_at = NULL, leased_until = NULL, lease_token = NULL"
        " WHERE delivery_id = $1",
        delivery_id,
    )
    await connection.execute(
        "UPDATE intake.webhook_endpoints SET disabled_at = NULL, failing_since = NULL"
        " WHERE webhook_id = $1 AND disabled_at IS NOT NULL",
        webhook_id,
    )
