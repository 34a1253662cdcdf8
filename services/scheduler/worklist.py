"""Re-tries the worklist, emergency first and then by deadline, each entry in its own transaction."""

import asyncio
import logging

from services.scheduler import placing, service
from services.scheduler.service import BookingPolicy
from shared.db.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class WorklistRetrier:
    def __init__(self, uow: UnitOfWork, policy: BookingPolicy) -> None:
        self._uow = uow
        self._policy = policy
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
            async with self._uow.read() as session:
                entries = [booking.booking_id for booking in await service.worklist(session)]
            for booking_id in entries:
                try:
                    booked += await placing.retry_entry(self._uow, booking_id, self._policy)
                except Exception:
                    log.exception("worklist entry could not be retried; it stays on the worklist")
        return booked
