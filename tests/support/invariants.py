"""What must hold after any fault, checked with SQL on the pipeline's database."""

import asyncio
import time
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import make_url


def _dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class PipelineState:
    cases_settled: int  # accepted cases whose current version has a booking decision
    pending_outbox: int
    duplicate_recommendations: int  # (case, version) with more than one recommendation
    missing_recommendations: int  # accepted (case, version) without one
    cases_without_one_open_booking: int
    overlapping_participations: int
    duplicate_booking_events: int  # booking events for one (case, version, status, start) published twice


async def _state(database_url: str, accepted: dict[str, int]) -> PipelineState:
    connection = await asyncpg.connect(_dsn(database_url))
    try:
        ids = list(accepted)
        versions = [accepted[i] for i in ids]
        settled = await connection.fetchval(
            """SELECT count(*) FROM intake.cases c JOIN unnest($1::uuid[], $2::int[]) AS a(id, v) ON c.case_id = a.id
               WHERE c.version = a.v AND (c.booking->>'case_version')::int = a.v""",
            ids,
            versions,
        )
        pending = await connection.fetchval(
            "SELECT (SELECT count(*) FROM intake.outbox WHERE published_at IS NULL)"
            " + (SELECT count(*) FROM eligibility.outbox WHERE published_at IS NULL)"
            " + (SELECT count(*) FROM scheduler.outbox WHERE published_at IS NULL)"
        )
        duplicates = await connection.fetchval(
            """SELECT count(*) FROM (SELECT case_id, case_version FROM eligibility.recommendations
               GROUP BY case_id, case_version HAVING count(*) > 1) d"""
        )
        missing = await connection.fetchval(
            """SELECT count(*) FROM unnest($1::uuid[], $2::int[]) AS a(id, v)
               WHERE NOT EXISTS (SELECT 1 FROM eligibility.recommendations r WHERE r.case_id = a.id AND r.case_version = a.v)""",
            ids,
            versions,
        )
        not_one_open = await connection.fetchval(
            """SELECT count(*) FROM unnest($1::uuid[]) AS a(id) WHERE (SELECT count(*) FROM scheduler.bookings b
               WHERE b.case_id = a.id AND b.status IN ('confirmed', 'waitlisted')) <> 1""",
            ids,
        )
        overlapping = await connection.fetchval(
            """SELECT count(*) FROM scheduler.booking_participants p JOIN scheduler.booking_participants q
               ON p.clinician_id = q.clinician_id AND p.booking_id < q.booking_id AND p.during && q.during
               WHERE p.active AND q.active"""
        )
        duplicate_events = await connection.fetchval(
            """SELECT count(*) FROM (SELECT 1 FROM scheduler.outbox GROUP BY event_id HAVING count(*) > 1) d"""
        )
        return PipelineState(
            settled, pending, duplicates, missing, not_one_open, overlapping, duplicate_events
        )
    finally:
        await connection.close()


def pipeline_state(database_url: str, accepted: dict[str, int]) -> PipelineState:
    return asyncio.run(_state(database_url, accepted))


def wait_until_settled(
    database_url: str, accepted: dict[str, int], timeout: float = 180
) -> tuple[PipelineState, float]:
    """Waits until every accepted case's current version has a booking decision and the outboxes are empty.
    Returns the state and how long it took."""
    started = time.monotonic()
    state = pipeline_state(database_url, accepted)
    while state.cases_settled < len(accepted) or state.pending_outbox > 0:
        if time.monotonic() - started > timeout:
            break
        time.sleep(1)
        try:
            state = pipeline_state(database_url, accepted)
        except (OSError, asyncpg.PostgresError):
            continue
    return state, time.monotonic() - started
