"""What must hold after any fault, checked with SQL on the pipeline's database."""

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass
class SettleWatch:
    """Watches, from a thread of its own, when each accepted case first had a booking decision for its
    accepted version: one query every `interval` seconds for the cases not yet seen settled. It keeps
    polling through a database outage (the query fails until the server is back)."""

    database_url: str
    accepted: Callable[[], dict[str, int]]  # case_id -> version, read at each poll (it grows while streaming)
    interval: float = 0.5
    settled_at: dict[tuple[str, int], float] = field(default_factory=dict)  # time.monotonic() first seen
    most_unsettled: int = 0  # the largest backlog seen: accepted cases without their decision yet
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    async def _poll(self) -> None:
        connection: asyncpg.Connection | None = None
        while not self._stop.is_set():
            pending = [(c, v) for c, v in self.accepted().items() if (c, v) not in self.settled_at]
            try:
                if connection is None or connection.is_closed():
                    connection = await asyncpg.connect(_dsn(self.database_url), timeout=5)
                rows = await connection.fetch(
                    """SELECT a.id::text AS id, a.v FROM intake.cases c
                       JOIN unnest($1::uuid[], $2::int[]) AS a(id, v) ON c.case_id = a.id
                       WHERE c.version = a.v AND (c.booking->>'case_version')::int = a.v""",
                    [c for c, _ in pending],
                    [v for _, v in pending],
                    timeout=10,
                )
            # A server going down mid-query leaves the connection in any state (asyncpg raises its own
            # InternalClientError, not a PostgresError, on the next query): start again on a new one.
            except Exception:
                if connection is not None:
                    connection.terminate()
                connection = None
            else:
                now = time.monotonic()
                for row in rows:
                    self.settled_at[(row["id"], row["v"])] = now
                self.most_unsettled = max(self.most_unsettled, len(pending) - len(rows))
            await asyncio.sleep(self.interval)
        if connection is not None:
            await connection.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=asyncio.run, args=(self._poll(),), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def unsettled(self) -> int:
        return sum(1 for c, v in self.accepted().items() if (c, v) not in self.settled_at)

    def wait(self, *, stalled_after: float = 120, timeout: float = 600) -> bool:
        """Waits until every accepted case is settled; gives up when none has settled for `stalled_after`
        seconds or after `timeout`. Returns whether all settled."""
        started = last_progress = time.monotonic()
        seen = len(self.settled_at)
        while self.unsettled() > 0:
            now = time.monotonic()
            if len(self.settled_at) > seen:
                seen, last_progress = len(self.settled_at), now
            if now - last_progress > stalled_after or now - started > timeout:
                return False
            time.sleep(self.interval / 2)
        return True

    def last_settled(self, cases: dict[str, int]) -> float | None:
        """When the last of `cases` settled (time.monotonic()); None if one has not."""
        moments = [self.settled_at.get(case) for case in cases.items()]
        settled = [m for m in moments if m is not None]
        return max(settled, default=0.0) if len(settled) == len(moments) else None


def wait_until_quiet(database_url: str, accepted: dict[str, int], timeout: float = 60) -> PipelineState:
    """The state once the outboxes are empty (or after `timeout`): every accepted case is settled first
    (SettleWatch), and then the booking's own announcements may still be on their way out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            state = pipeline_state(database_url, accepted)
        except (OSError, asyncpg.PostgresError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
            continue
        if state.pending_outbox == 0 or time.monotonic() > deadline:
            return state
        time.sleep(0.25)
