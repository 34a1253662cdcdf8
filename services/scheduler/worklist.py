"""Re-tries the worklist, emergency first and then by deadline, each entry in its own transaction."""

import asyncio
import logging
from collections.abc import Callable

from services.scheduler import placing, service
from services.scheduler.service import BookingPolicy
from shared.db.engine import SessionFactory

log = logging.getLogger(__name__)


class WorklistRetrier:
    def __init__(
        self, sessions: SessionFactory, policy: BookingPolicy, on_commit: Callable[[], None]
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._on_commit = on_commit
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[int]] = set()

    def trigger(self) -> None:
        """Called after new availability commits; runs in the background."""
        task = asyncio.create_task(self.retry_all())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def retry_all(self) -> int:
        booked = 0
        async with self._lock:
            async with self._sessions() as session:
                entries = [booking.booking_id for booking in await service.worklist(session)]
            for booking_id in entries:
                try:
                    async with self._sessions() as session, session.begin():
                        booked += await placing.retry_waitlisted(session, booking_id, self._policy)
                except Exception:
                    log.exception("worklist entry could not be retried; it stays on the worklist")
            if booked:
                self._on_commit()
        return booked
