"""The meetings' clock: locks every meeting at its cut-off without waiting for a request, and keeps each
series' meetings made up to the team's horizon. Every scheduler instance runs it; the placement lock and
the meeting's row lock make exactly one of them lock a given meeting (meetings.lock_due). A scheduler that
was down catches up on its first tick: every meeting whose cut-off passed is still `scheduled`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from services.scheduler import meetings, service
from services.scheduler.service import BookingPolicy
from shared.db.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class MeetingClock:
    def __init__(
        self,
        uow: UnitOfWork,
        policy: BookingPolicy,
        on_new_meetings: Callable[[], None],
        interval_seconds: float,
    ) -> None:
        self._uow = uow
        self._policy = policy
        self._on_new_meetings = on_new_meetings
        self._interval = interval_seconds
        self._free_minutes: int | None = None

    async def tick(self, now: datetime | None = None) -> list[UUID]:
        """One round: new meetings within the horizon, then every lock that is due. Returns the meetings
        this instance locked."""
        now = now or service.now_utc()
        async with self._uow.begin() as session:
            created = await meetings.materialise_all(session, now)
            free = await meetings.free_minutes(session, now)
        # New meetings, and capacity freed (an item withdrawn, deferred or shortened), re-try the worklist
        # (meetings.md §2, step 5).
        if created or (self._free_minutes is not None and free > self._free_minutes):
            self._on_new_meetings()
        self._free_minutes = free
        locked: list[UUID] = []
        while True:
            async with self._uow.begin() as session:
                batch = await meetings.lock_due(session, self._policy, now)
            locked += batch
            if len(batch) < meetings.LOCK_BATCH:
                return locked

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("meeting clock round failed; retried at the next tick")
            await asyncio.sleep(self._interval)
