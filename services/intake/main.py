"""Composition root: settings, runtime (database, Kafka, outbox relay, consumer, webhook worker) and the
HTTP app."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.intake import api
from services.intake.adapters.tables import SCHEMA, inbox, outbox
from services.intake.consumer import SUBSCRIPTION
from services.intake.openapi_links import INTAKE_LINKS
from services.intake.settings import IntakeSettings
from services.intake.webhooks import routes as webhook_routes
from services.intake.webhooks.domain.targets import AllowedHosts
from services.intake.webhooks.worker import DeliveryWorker
from shared.auth import TokenTable
from shared.contracts.asyncapi import asyncapi_document
from shared.contracts.events import Topic
from shared.http.app import ReadinessCheck, create_app
from shared.logging import configure_logging
from shared.runtime import ServiceRuntime


def create_application(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    configure_logging()
    runtime = ServiceRuntime(
        settings, schema=SCHEMA, migrations=Path(__file__).parent / "migrations", outbox=outbox, inbox=inbox
    )
    runtime.subscribe(SUBSCRIPTION)
    allowed_hosts = AllowedHosts.parse(settings.webhook_allowed_hosts)
    webhooks = DeliveryWorker(
        runtime.engine,
        allowed_hosts=allowed_hosts,
        schedule_scale=settings.webhook_schedule_scale,
        timeout_seconds=settings.webhook_timeout_seconds,
        lease_seconds=settings.webhook_lease_seconds,
        poll_seconds=settings.webhook_poll_seconds,
        max_in_flight=settings.webhook_max_in_flight,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            # Needs the database only (migrated by the runtime's start), not Kafka.
            worker = asyncio.create_task(webhooks.run())
            try:
                yield
            finally:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker

    async def refresh_metrics() -> None:
        await runtime.refresh_metrics()
        await webhooks.refresh_metrics()

    app = http_app(settings, lifespan=lifespan, readiness=runtime.readiness, refresh_metrics=refresh_metrics)
    app.state.unit_of_work = runtime.unit_of_work
    app.state.runtime = runtime
    app.state.webhooks = webhooks
    return app


def http_app(
    settings: IntakeSettings,
    *,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    readiness: Callable[[], dict[str, ReadinessCheck]],
    refresh_metrics: Callable[[], Awaitable[None]] | None = None,
) -> FastAPI:
    """Intake's HTTP API alone, without what runs beside it; the caller puts the unit of work on app.state
    (route tests: a fake, and a lifespan that starts nothing)."""
    app = create_app(
        links=INTAKE_LINKS,
        service="intake",
        title="Intake: bone-metastasis case referrals",
        lifespan=lifespan,
        readiness=readiness,
        refresh_metrics=refresh_metrics,
        max_body_bytes=settings.max_body_bytes,
        asyncapi=asyncapi_document(
            service="intake",
            title="intake: Kafka topics",
            sends=[Topic.case_events],
            receives=list(SUBSCRIPTION.topics),
        ),
        body_limits={"/v1/fhir/": settings.max_fhir_body_bytes},
    )
    app.include_router(api.router)
    app.include_router(webhook_routes.router)
    app.state.settings = settings
    app.state.tokens = TokenTable.parse(settings.api_tokens.get_secret_value())
    return app
