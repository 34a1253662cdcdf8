"""The statements of a case submission, sent straight to the driver: they run for every accepted case
(shared/db/driver.py says why not through SQLAlchemy). Table and column names are those of tables.py."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import orjson

# One statement makes the case or its next version; an identical resubmission (same content hash) changes
# no row and returns none. The conflicting row is locked either way, so concurrent submissions of one case
# take turns. A changed resubmission re-opens a withdrawn referral.
_UPSERT_CASE = """
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
"""

_INSERT_VERSION = "INSERT INTO intake.case_versions (case_id, version, content) VALUES ($1, $2, $3)"


async def save_submission(
    connection: Any, *, client: str, external_id: str, content_json: str, content_hash: str
) -> tuple[UUID, int] | None:
    """(case id, version) of the new case or version, with that version kept in case_versions; None when
    the content is the case's current content."""
    row = await connection.fetchrow(_UPSERT_CASE, uuid4(), client, external_id, content_json, content_hash)
    if row is None:
        return None
    await connection.execute(_INSERT_VERSION, row["case_id"], row["version"], content_json)
    return row["case_id"], row["version"]


@dataclass
class DownstreamState:
    """What intake shows of a case's downstream decisions, and when its current version arrived."""

    version: int
    received_at: datetime | None
    recommendation_version: int | None
    booking_version: int | None
    recommendation: dict[str, Any] | None = None  # set when changed
    booking: dict[str, Any] | None = None  # set when changed


_LOCK_CASES = """
SELECT c.case_id, c.version, v.received_at,
       (c.recommendation ->> 'case_version')::int AS recommendation_version,
       (c.booking ->> 'case_version')::int AS booking_version
FROM intake.cases c
LEFT JOIN intake.case_versions v ON v.case_id = c.case_id AND v.version = c.version
WHERE c.case_id = ANY($1::uuid[])
ORDER BY c.case_id
FOR UPDATE OF c
"""

_SAVE_DECISIONS = """
UPDATE intake.cases
SET recommendation = COALESCE($2, recommendation), booking = COALESCE($3, booking), updated_at = now()
WHERE case_id = $1
"""


async def lock_downstream_state(connection: Any, case_ids: Collection[UUID]) -> dict[UUID, DownstreamState]:
    rows = await connection.fetch(_LOCK_CASES, list(case_ids))
    return {
        row["case_id"]: DownstreamState(
            row["version"], row["received_at"], row["recommendation_version"], row["booking_version"]
        )
        for row in rows
    }


async def save_downstream_state(connection: Any, changed: dict[UUID, DownstreamState]) -> None:
    await connection.executemany(
        _SAVE_DECISIONS,
        [
            (
                case_id,
                None if state.recommendation is None else orjson.dumps(state.recommendation).decode(),
                None if state.booking is None else orjson.dumps(state.booking).decode(),
            )
            for case_id, state in sorted(changed.items())
        ],
    )
