"""Where the booking path gets clinicians' calendars from.

`DatabaseCalendars` loads them for every search (4 queries and a few hundred rows per booking).
`CachedCalendars` keeps one in-memory copy per scheduler process and reloads it when the database's
calendar version moved (a trigger bumps it on every change to clinicians, windows or released bookings),
when a booking lost a race or failed verification, when a search reaches past what was loaded, or after
`max_age`. The copy never decides alone: `service.take_slot` locks the chosen clinicians and verifies, in
the database, that they are active and available for the whole slot before booking them, and the
exclusion constraint refuses a clinician already booked by another instance. A stale copy can therefore
cost a retry, never a wrong booking.
"""

import time
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler.adapters.calendars import load_calendars
from services.scheduler.domain import ClinicianCalendar, Interval, SlotChoice
from shared.contracts.codes import Specialty

# The database's calendar version, as a scalar subquery: callers may read it with a statement they send
# anyway and hand it to `calendars`, which then skips its own query.
CALENDAR_VERSION = "(SELECT n FROM scheduler.calendar_version WHERE id = 1)"


class CalendarSource(Protocol):
    async def calendars(
        self,
        session: AsyncSession,
        required: Collection[Specialty],
        *,
        since: datetime,
        until: datetime,
        version: int | None = None,
    ) -> list[ClinicianCalendar]:
        """The calendars of the active clinicians of `required`; `version` is `CALENDAR_VERSION` as this
        transaction read it before, when it did."""

    def taken(self, session: AsyncSession, choice: SlotChoice) -> None:
        """A slot was taken in this session's transaction (seen by later searches at once; forgotten if
        the transaction rolls back)."""

    def stale(self) -> None:
        """What the copy said was refused by the database: reload before the next search."""


class DatabaseCalendars:
    async def calendars(
        self,
        session: AsyncSession,
        required: Collection[Specialty],
        *,
        since: datetime,
        until: datetime,
        version: int | None = None,
    ) -> list[ClinicianCalendar]:
        return await load_calendars(session, required, since=since, until=until)

    def taken(self, session: AsyncSession, choice: SlotChoice) -> None:
        pass

    def stale(self) -> None:
        pass


_LISTENING = "calendar_cache.listening"  # Session.info key: the rollback listener is registered
_READ_VERSION = text(f"SELECT {CALENDAR_VERSION}")


class CachedCalendars:
    def __init__(
        self, horizon: timedelta = timedelta(days=16), max_age: timedelta = timedelta(seconds=60)
    ) -> None:
        self._horizon = horizon
        self._max_age = max_age.total_seconds()
        self._calendars: dict[int, ClinicianCalendar] = {}
        self._version: int | None = None
        self._since: datetime | None = None
        self._until: datetime | None = None
        self._loaded_at = 0.0
        self._stale = True
        self.reloads = 0

    async def calendars(
        self,
        session: AsyncSession,
        required: Collection[Specialty],
        *,
        since: datetime,
        until: datetime,
        version: int | None = None,
    ) -> list[ClinicianCalendar]:
        if version is None:
            version = await session.scalar(_READ_VERSION)
        if (
            self._stale
            or version != self._version
            or self._since is None
            or self._until is None
            or since < self._since
            or until > self._until
            or time.monotonic() - self._loaded_at > self._max_age
        ):
            await self._reload(session, since, max(until, since + self._horizon), version)
        wanted = set(required)
        return [c for c in self._calendars.values() if c.specialty in wanted]

    async def _reload(
        self, session: AsyncSession, since: datetime, until: datetime, version: int | None
    ) -> None:
        loaded = await load_calendars(session, list(Specialty), since=since, until=until)
        # Swapped in whole: a search running meanwhile keeps the copy it started with.
        self._calendars = {c.clinician_id: c for c in loaded}
        self._version, self._since, self._until = version, since, until
        self._loaded_at = time.monotonic()
        self._stale = False
        self.reloads += 1

    def taken(self, session: AsyncSession, choice: SlotChoice) -> None:
        # Applied at once: the next booking in the same transaction (the consumer books a polled batch in
        # one) must see it. Should the transaction roll back, the copy is reloaded before the next search.
        slot = Interval(choice.start, choice.end)
        for person in choice.participants:
            current = self._calendars.get(person.clinician_id)
            if current is not None:
                self._calendars[person.clinician_id] = replace(
                    current,
                    busy=[*current.busy, slot],
                    bookings_next_14_days=current.bookings_next_14_days + 1,
                )
        # One listener per session, not per booking (registering one costs more than the booking's copy).
        sync_session = session.sync_session
        if not sync_session.info.get(_LISTENING):
            sync_session.info[_LISTENING] = True
            event.listen(sync_session, "after_rollback", self._stale_after_rollback, once=True)

    def _stale_after_rollback(self, session: Session) -> None:
        session.info.pop(_LISTENING, None)
        self._stale = True

    def stale(self) -> None:
        self._stale = True
