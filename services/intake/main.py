"""Composition root: settings, runtime (database, Kafka, outbox relay, consumer) and the HTTP app."""

from pathlib import Path

from fastapi import FastAPI

from services.intake.adapters.tables import SCHEMA, inbox, outbox
from services.intake.api import build_router
from services.intake.consumer import BATCH_HANDLER, HANDLERS
from services.intake.service import TOPICS_CONSUMED
from services.intake.settings import IntakeSettings
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

    app = create_app(
        service="intake",
        title="Intake: bone-metastasis case referrals",
        lifespan=runtime.lifespan,
        readiness=runtime.readiness,
        refresh_metrics=runtime.refresh_metrics,
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
    app.state.runtime = runtime
    return app
