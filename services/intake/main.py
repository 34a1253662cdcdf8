"""Composition root: settings, runtime (database, Kafka, outbox relay, consumer, webhook worker) and the
HTTP app."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.intake.adapters.tables import SCHEMA, inbox, outbox
from services.intake.api import build_router
from services.intake.consumer import BATCH_HANDLER, HANDLERS
from services.intake.openapi_links import INTAKE_LINKS
from services.intake.service import TOPICS_CONSUMED
from services.intake.settings import IntakeSettings
from services.intake.webhooks.domain.targets import AllowedHosts
from services.intake.webhooks.routes import build_webhook_router
from services.intake.webhooks.worker import DeliveryWorker
from shared.auth import TokenTable
from shared.contracts.asyncapi import asyncapi_document
from shared.contracts.events import Topic
from shared.http.app import create_app
from shared.logging import configure_logging
from shared.runtime import ServiceRuntime


def create_application(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    configure_logging()
    runtime = ServiceRuntime(
        settings, schema=SCHEMA, migrations=Path(__file__).parent / "migrations", outbox=outbox, inbox=inbox
    )
    runtime.add_consumer("intake", TOPICS_CONSUMED, HANDLERS, batch_handler=BATCH_HANDLER)
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

    app = create_app(
        links=INTAKE_LINKS,
        service="intake",
        title="Intake: bone-metastasis case referrals",
        lifespan=lifespan,
        readiness=runtime.readiness,
        refresh_metrics=refresh_metrics,
        max_body_bytes=settings.max_body_bytes,
        asyncapi=asyncapi_document(
            service="intake",
            title="intake: Kafka topics",
            sends=[Topic.case_events],
            receives=[Topic(topic) for topic in TOPICS_CONSUMED],
        ),
        body_limits={"/v1/fhir/": settings.max_fhir_body_bytes},
    )
    app.include_router(
        build_router(
            settings,
            runtime.sessions,
            TokenTable.parse(settings.api_tokens.get_secret_value()),
            runtime.relay.wake,
        )
    )
    app.include_router(
        build_webhook_router(
            runtime.sessions, TokenTable.parse(settings.api_tokens.get_secret_value()), allowed_hosts
        )
    )
    app.state.runtime = runtime
    app.state.webhooks = webhooks
    return app
