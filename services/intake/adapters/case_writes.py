"""The statements of a case submission, sent straight to the driver: they run for every accepted case
(shared/db/driver.py says why not through SQLAlchemy). Table and column names are those of tables.py."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import orjson

from services.intake.adapters.tables import outbox
from shared.db.driver import DriverConnection, Row
from shared.kafka.outbox import outbox_insert
from shared.telemetry import trace_id_from_headers

# One statement makes the case or its next version, keeps that version and writes the event announcing it
# to the outbox: PostgreSQL runs it atomically, so it needs no transaction of its own (BEGIN and COMMIT
# were two of the five round trips of a submission). An identical resubmission (same content hash) changes
# no row, keeps nothing and announces nothing. The conflicting row is locked either way, so concurrent
# submissions of one case take turns. A changed resubmission re-opens a withdrawn referral.
# The event is the envelope built by the caller without the three fields only this statement knows.
_SUBMIT = f"""
WITH saved AS (
    INSERT INTO intake.cases AS c (case_id, client, external_id, version, content, content_hash)
    VALUES ($1, $2, $3, 1, $4, $5)
    ON CONFLICT (client, external_id) DO UPDATE
    SET version = c.version + 1,
        content = excluded.content,
        content_hash = excluded.content_hash,
        withdrawn_at = NULL,
        updated_at = now()
    WHERE c.content_hash <> excluded.content_hash
    RETURNING case_id, version
), kept AS (
    INSERT INTO intake.case_versions (case_id, version, content, trace_id, sources)
    SELECT case_id, version, $4, $12, $13::jsonb FROM saved
), typed AS (
    SELECT case_id, version, CASE WHEN version = 1 THEN $8 ELSE $9 END AS event_type FROM saved
), announced AS (
    {outbox_insert(outbox)}
    SELECT $6, $7, case_id::text, event_type,
           ($10::jsonb || jsonb_build_object(
               'case_id', case_id, 'case_version', version, 'event_type', event_type))::text,
           $11
    FROM typed
)
SELECT case_id, version FROM saved
"""


@dataclass(frozen=True)
class Announcement:
    """The outbox event of a submission, less case_id, case_version and event_type."""

    event_id: UUID
    topic: str
    envelope_without_case: dict[str, Any]
    trace_headers: dict[str, str]
    first_version_type: str
    later_version_type: str


async def save_submission(
    connection: DriverConnection,
    *,
    client: str,
    external_id: str,
    content_json: str,
    content_hash: str,
    announcement: Announcement,
    sources_json: str | None = None,
) -> tuple[UUID, int] | None:
    """(case id, version) of the new case or version, kept in case_versions and announced in the outbox;
    None when the content is the case's current content. Runs on a connection in autocommit or inside the
    caller's transaction alike."""
    row = await connection.fetchrow(
        _SUBMIT,
        uuid4(),
        client,
        external_id,
        content_json,
        content_hash,
        announcement.event_id,
        announcement.topic,
        announcement.first_version_type,
        announcement.later_version_type,
        orjson.dumps(announcement.envelope_without_case).decode(),
        orjson.dumps(announcement.trace_headers).decode(),
        trace_id_from_headers(announcement.trace_headers),
        sources_json,
    )
    if row is None:
        return None
    return row["case_id"], row["version"]


_CURRENT = """
SELECT case_id, version, withdrawn_at, outcome, booking, recommendation
FROM intake.cases WHERE client = $1 AND external_id = $2
"""


async def current_case(connection: DriverConnection, *, client: str, external_id: str) -> Row:
    """What an identical resubmission's receipt shows: the case's id, version and the fields of its status."""
    return await connection.fetchrow(_CURRENT, client, external_id)


@dataclass
class DownstreamState:
    """What intake shows of a case's downstream decisions, and when its current version arrived."""

    version: int
    received_at: datetime | None
    recommendation_version: int | None
    booking_version: int | None
    recommendation: dict[str, Any] | None = None  # set when changed
    recommendation_detail: dict[str, Any] | None = None  # set with recommendation
    booking: dict[str, Any] | None = None  # set when changed
    outcome_version: int | None = None
    outcome: dict[str, Any] | None = None  # set when changed


_LOCK_CASES = """
SELECT c.case_id, c.version, v.received_at,
       (c.recommendation ->> 'case_version')::int AS recommendation_version,
       (c.booking ->> 'case_version')::int AS booking_version,
       (c.outcome ->> 'version')::int AS outcome_version
FROM intake.cases c
LEFT JOIN intake.case_versions v ON v.case_id = c.case_id AND v.version = c.version
WHERE c.case_id = ANY($1::uuid[])
ORDER BY c.case_id
FOR UPDATE OF c
"""

# One statement for a batch's cases, whatever their number (each row was locked by _LOCK_CASES).
_SAVE_DECISIONS = """
UPDATE intake.cases c
SET recommendation = COALESCE(d.recommendation::jsonb, c.recommendation),
    booking = COALESCE(d.booking::jsonb, c.booking),
    recommendation_detail = COALESCE(d.recommendation_detail::jsonb, c.recommendation_detail),
    outcome = COALESCE(d.outcome::jsonb, c.outcome),
    updated_at = now()
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
     AS d(case_id, recommendation, booking, recommendation_detail, outcome)
WHERE c.case_id = d.case_id
"""


async def lock_downstream_state(
    connection: DriverConnection, case_ids: Collection[UUID]
) -> dict[UUID, DownstreamState]:
    rows = await connection.fetch(_LOCK_CASES, list(case_ids))
    return {
        row["case_id"]: DownstreamState(
            row["version"],
            row["received_at"],
            row["recommendation_version"],
            row["booking_version"],
            outcome_version=row["outcome_version"],
        )
        for row in rows
    }


async def save_downstream_state(connection: DriverConnection, changed: dict[UUID, DownstreamState]) -> None:
    states = sorted(changed.items())
    await connection.execute(
        _SAVE_DECISIONS,
        [case_id for case_id, _ in states],
        [_json_or_none(state.recommendation) for _, state in states],
        [_json_or_none(state.booking) for _, state in states],
        [_json_or_none(state.recommendation_detail) for _, state in states],
        [_json_or_none(state.outcome) for _, state in states],
    )


def _json_or_none(value: dict[str, Any] | None) -> str | None:
    return None if value is None else orjson.dumps(value).decode()
