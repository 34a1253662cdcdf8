"""The statements of a case submission, sent straight to the driver: they run for every accepted case
(shared/db/driver.py says why not through SQLAlchemy). Table and column names are those of tables.py."""

from typing import Any
from uuid import UUID, uuid4

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
