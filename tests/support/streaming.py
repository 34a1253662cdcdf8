"""A referrer that keeps sending cases, like an integration engine: it retries a case until intake accepts it
(200 or 202) and remembers every answer, so a test can tell what was accepted and what was refused."""

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.cases import a_case
from tests.support.services import auth


@dataclass
class CaseStream:
    intake_url: str
    rate_per_second: float = 20.0
    accepted: dict[str, int] = field(default_factory=dict)  # case_id -> latest accepted version
    refused_statuses: list[int] = field(default_factory=list)  # 5xx/connection failures that were retried
    unexpected: list[tuple[int, str]] = field(default_factory=list)  # anything else: a defect
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0

    def submit(self, case: dict[str, Any], client: httpx.Client) -> None:
        backoff = 0.2
        while True:
            try:
                response = client.post(f"{self.intake_url}/v1/cases", json=case, headers=auth("integration"))
            except httpx.HTTPError:
                self.refused_statuses.append(0)
            else:
                if response.status_code in (200, 202):
                    body = response.json()
                    with self._lock:
                        self.accepted[body["case_id"]] = max(
                            self.accepted.get(body["case_id"], 0), body["case_version"]
                        )
                    return
                if response.status_code in (502, 503, 504):
                    self.refused_statuses.append(response.status_code)
                else:
                    self.unexpected.append((response.status_code, response.text[:300]))
                    return
            time.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    def start(self, count: int) -> None:
        def run() -> None:
            with httpx.Client(timeout=10) as client:
                for _ in range(count):
                    if self._stop.is_set():
                        return
                    started = time.monotonic()
                    self.submit(a_case(), client)
                    self.sent += 1
                    time.sleep(max(0.0, 1 / self.rate_per_second - (time.monotonic() - started)))

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def join(self, timeout: float = 300) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the referrer did not finish sending"

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.accepted)
