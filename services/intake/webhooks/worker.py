"""The delivery worker, a background task of every intake instance: claims due deliveries (the head of each
case's queue per endpoint), posts them signed, and writes each attempt's outcome. Instances share the work
through the claims' row locks and leases (webhooks/store.py); a crash leaves a lease that runs out, and the
delivery is tried again: at least once, never lost, in order per case and endpoint."""

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from opentelemetry import trace
from opentelemetry.propagate import inject
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.webhooks import store
from services.intake.webhooks.domain.schedule import retry_delay
from services.intake.webhooks.domain.signing import signature_headers
from services.intake.webhooks.domain.targets import AllowedHosts, TargetRefusedError, check_target
from shared.db.driver import driver_connection
from shared.telemetry import attached, context_from_headers

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

RESPONSE_BODY_LIMIT = 1024
SETTLE_ATTEMPTS = 5

DELIVERIES = Counter(
    "webhook_deliveries_total",
    "Webhook delivery attempts by what became of the delivery: delivered, retrying (another attempt is "
    "scheduled), failed (no attempt left: retry by hand)",
    ["result"],
)
ATTEMPTS = Counter(
    "webhook_delivery_attempts_total",
    "Webhook delivery attempts, by outcome: the HTTP status class (2xx ... 5xx) or the error's class",
    ["outcome"],
)
OLDEST_UNDELIVERED = Gauge(
    "webhook_oldest_undelivered_age_seconds", "Age of the oldest webhook delivery still pending (0: none)"
)
ENDPOINTS_DISABLED = Counter(
    "webhook_endpoints_disabled_total", "Webhook endpoints disabled after failing everything for 5 days"
)


class DeliveryWorker:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        allowed_hosts: AllowedHosts,
        schedule_scale: float = 1.0,
        timeout_seconds: float = 10.0,
        lease_seconds: float = 60.0,
        poll_seconds: float = 0.5,
        max_in_flight: int = 16,
    ) -> None:
        self._engine = engine
        self._allowed = allowed_hosts
        self._scale = schedule_scale
        self._timeout = timeout_seconds
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._max_in_flight = max_in_flight
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        # Redirects are failures (a 3xx is no delivery, and following one could leave the allowed hosts);
        # no proxies from the environment: the request goes where the guard allowed it to.
        async with httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(self._timeout),
            headers={"User-Agent": "bonemets-intake-webhooks"},
        ) as client:
            try:
                await self._loop(client)
            finally:
                for task in self._in_flight:
                    task.cancel()
                await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _loop(self, client: httpx.AsyncClient) -> None:
        backoff = 0.5
        while True:
            free = self._max_in_flight - len(self._in_flight)
            claimed: list[store.ClaimedDelivery] = []
            if free > 0:
                try:
                    claimed = await self._claim(free)
                    backoff = 0.5
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # database away: the deliveries wait in it
                    log.warning("webhook worker could not claim deliveries: %s", type(error).__name__)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
            for delivery in claimed:
                task = asyncio.create_task(self._deliver(client, delivery))
                self._in_flight.add(task)
                task.add_done_callback(self._finished)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            self._wake.clear()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook delivery task died", exc_info=task.exception())
        # A settled delivery may have unblocked the next event of its case.
        self._wake.set()

    async def _claim(self, limit: int) -> list[store.ClaimedDelivery]:
        async with self._engine.begin() as conn:
            connection = await driver_connection(conn)
            return await store.claim(connection, limit=limit, lease_seconds=self._lease)

    async def refresh_metrics(self) -> None:
        async with self._engine.connect() as conn:
            OLDEST_UNDELIVERED.set(await store.oldest_pending_age_seconds(await driver_connection(conn)))

    async def _deliver(self, client: httpx.AsyncClient, delivery: store.ClaimedDelivery) -> None:
        parts = urlsplit(delivery.url)
        with (
            attached(context_from_headers(delivery.trace_headers)),
            tracer.start_as_current_span(
                "POST",
                kind=SpanKind.CLIENT,
                attributes={
                    "http.request.method": "POST",
                    "server.address": parts.hostname or "",
                    "server.port": parts.port or (443 if parts.scheme == "https" else 80),
                    "url.scheme": parts.scheme,
                    "webhook.id": str(delivery.webhook_id),
                    "webhook.delivery_id": str(delivery.delivery_id),
                    "event.id": str(delivery.event_id),
                    "event.type": delivery.event_type,
                    "case.id": str(delivery.case_id),
                    "case.version": delivery.case_version,
                },
            ) as span,
        ):
            attempt = await self._attempt(client, delivery)
            if attempt.status_code is not None:
                span.set_attribute("http.response.status_code", attempt.status_code)
            delivered = attempt.status_code is not None and 200 <= attempt.status_code < 300
            if not delivered:
                error_type = attempt.error or str(attempt.status_code)
                span.set_attribute("error.type", error_type)
                span.set_status(Status(StatusCode.ERROR, error_type))
            await self._settle(delivery, attempt, delivered)

    async def _attempt(
        self, client: httpx.AsyncClient, delivery: store.ClaimedDelivery
    ) -> store.AttemptRecord:
        attempted_at = datetime.now(UTC)
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        kept: bytes | None = None
        try:
            # The guard again: WEBHOOK_ALLOWED_HOSTS may have narrowed since the subscription.
            check_target(delivery.url, self._allowed)
            headers = signature_headers(
                delivery.secret,
                message_id=str(delivery.event_id),
                timestamp=int(time.time()),
                body=delivery.body,
            )
            headers["Content-Type"] = "application/json"
            inject(headers)  # the receiver may continue the case's trace
            # httpx's timeout bounds each read; this bounds the whole attempt (a receiver that trickles bytes).
            async with (
                asyncio.timeout(self._timeout),
                client.stream(
                    "POST", delivery.url, content=delivery.body.encode(), headers=headers
                ) as response,
            ):
                status_code = response.status_code
                kept = await _read_at_most(response, RESPONSE_BODY_LIMIT)
        except TargetRefusedError:
            error = "HostNotAllowed"
        except TimeoutError:
            error = "Timeout"
        except httpx.HTTPError as failure:
            error = type(failure).__name__
        except Exception as failure:  # whatever the receiver did, it is a failed attempt, by class
            error = type(failure).__name__
        duration_ms = int((time.monotonic() - started) * 1000)
        if status_code is not None:
            ATTEMPTS.labels(f"{status_code // 100}xx").inc()
        else:
            ATTEMPTS.labels(error or "error").inc()
        return store.AttemptRecord(
            attempted_at=attempted_at,
            duration_ms=duration_ms,
            status_code=status_code,
            error=error,
            response_body=None if kept is None else kept.decode("utf-8", errors="replace"),
        )

    async def _settle(
        self, delivery: store.ClaimedDelivery, attempt: store.AttemptRecord, delivered: bool
    ) -> None:
        if delivered:
            status, next_attempt_at, result = "delivered", None, "delivered"
        else:
            delay = retry_delay(delivery.failures_since_queued + 1, self._scale)
            if delay is None:
                status, next_attempt_at, result = "failed", None, "failed"
            else:
                status, next_attempt_at, result = "pending", attempt.attempted_at + delay, "retrying"
        backoff = 0.5
        for remaining in range(SETTLE_ATTEMPTS, 0, -1):
            try:
                async with self._engine.begin() as conn:
                    written, disabled = await store.settle(
                        await driver_connection(conn),
                        delivery,
                        attempt,
                        status=status,
                        next_attempt_at=next_attempt_at,
                        schedule_scale=self._scale,
                    )
                break
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Unwritten, the lease runs out and the delivery is tried again: at least once.
                log.warning("webhook outcome not written yet: %s", type(error).__name__)
                if remaining == 1:
                    return
                await asyncio.sleep(backoff)
                backoff *= 2
        if not written:
            log.info(
                "webhook delivery %s settled elsewhere (lease lost or endpoint deleted)", delivery.delivery_id
            )
            return
        DELIVERIES.labels(result).inc()
        if disabled:
            ENDPOINTS_DISABLED.inc()
            log.warning("webhook endpoint %s disabled after failing everything", delivery.webhook_id)
        if result == "failed":
            log.warning(
                "webhook delivery %s failed for good after its last retry (endpoint %s)",
                delivery.delivery_id,
                delivery.webhook_id,
            )


async def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    kept = bytearray()
    async for chunk in response.aiter_bytes():
        kept += chunk[: limit - len(kept)]
        if len(kept) >= limit:
            break  # the rest is not read: the connection is closed with the response
    return bytes(kept)
