"""A referrer that keeps sending cases, like an integration engine. Cases come due at a steady rate (open
loop: a slow answer does not delay the next arrival), up to `concurrency` are in flight, and each is sent
again until intake accepts it (200 or 202): after a 503 as long as its Retry-After says, after a broken
connection or a 502/504 with a growing pause. Refusals are counted apart from acceptances; any other answer
is a defect. The same case is sent each time, so intake's idempotency makes a retry of an accepted one
harmless."""

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.cases import a_case
from tests.support.services import auth

RETRY_STATUSES = (502, 503, 504)


@dataclass
class CaseStream:
    intake_url: str
    rate_per_second: float = 20.0
    concurrency: int = 32
    transport: httpx.AsyncBaseTransport | None = None  # None: the network
    accepted: dict[str, int] = field(default_factory=dict)  # case_id -> latest accepted version
    accepted_at: dict[str, float] = field(default_factory=dict)  # case_id -> time.monotonic() of acceptance
    refusals: Counter[int] = field(default_factory=Counter)  # status (0: no answer) -> times sent again
    unexpected: list[tuple[int, str]] = field(default_factory=list)  # anything else: a defect
    sent: int = 0  # cases sent at least once
    started_at: float = 0.0
    finished_at: float = 0.0  # when the last case was accepted (or refused for good)
    most_behind_seconds: float = 0.0  # how late a case was sent at worst (no free slot: all retrying)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def submit(self, case: dict[str, Any], client: httpx.AsyncClient) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            pause = backoff
            try:
                response = await client.post(
                    f"{self.intake_url}/v1/cases", json=case, headers=auth("integration")
                )
            except httpx.HTTPError:
                self.refusals[0] += 1
            else:
                if response.status_code in (200, 202):
                    body = response.json()
                    with self._lock:
                        case_id = body["case_id"]
                        self.accepted[case_id] = max(self.accepted.get(case_id, 0), body["case_version"])
                        self.accepted_at.setdefault(case_id, time.monotonic())
                    return
                if response.status_code not in RETRY_STATUSES:
                    self.unexpected.append((response.status_code, response.text[:300]))
                    return
                self.refusals[response.status_code] += 1
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    pause = float(retry_after)
            await asyncio.sleep(pause)
            backoff = min(backoff * 2, 2.0)

    async def _send(self, count: int) -> None:
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        async with httpx.AsyncClient(timeout=10, limits=limits, transport=self.transport) as client:
            slots = asyncio.Semaphore(self.concurrency)
            in_flight: set[asyncio.Task[None]] = set()

            def done(task: asyncio.Task[None]) -> None:
                in_flight.discard(task)
                slots.release()

            loop = asyncio.get_running_loop()
            start = loop.time()
            for n in range(count):
                await slots.acquire()
                if self._stop.is_set():
                    break
                due = start + n / self.rate_per_second
                if due > loop.time():
                    await asyncio.sleep(due - loop.time())
                else:
                    self.most_behind_seconds = max(self.most_behind_seconds, loop.time() - due)
                task = asyncio.create_task(self.submit(a_case(), client))
                in_flight.add(task)
                task.add_done_callback(done)
                self.sent += 1
            await asyncio.gather(*in_flight)
        self.finished_at = time.monotonic()

    def start(self, count: int) -> None:
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=asyncio.run, args=(self._send(count),), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Sends nothing more, and gives up the cases not yet accepted."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def join(self, timeout: float = 600) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.stop()
            raise AssertionError(f"the referrer did not finish sending in {timeout} s")

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.accepted)

    def accepted_by(self, moment: float) -> dict[str, int]:
        """The cases accepted at or before `moment` (time.monotonic())."""
        with self._lock:
            return {c: v for c, v in self.accepted.items() if self.accepted_at[c] <= moment}
