"""Composition root of the eligibility service."""

from pathlib import Path

from fastapi import FastAPI

from services.eligibility.adapters.tables import SCHEMA, inbox, outbox
from services.eligibility.api import build_router
from services.eligibility.consumer import build_batch_handler, build_handlers
from services.eligibility.openapi_links import ELIGIBILITY_LINKS
from services.eligibility.settings import EligibilitySettings
from shared.auth import TokenTable
from shared.contracts.asyncapi import asyncapi_document
from shared.contracts.events import Topic
from shared.http.app import create_app
from shared.logging import configure_logging
from shared.runtime import ServiceRuntime


def create_application(settings: EligibilitySettings | None = None) -> FastAPI:
    settings = settings or EligibilitySettings()
    configure_logging()
    runtime = ServiceRuntime(
        settings, schema=SCHEMA, migrations=Path(__file__).parent / "migrations", outbox=outbox, inbox=inbox
    )
    on_events = build_batch_handler(settings.topic(Topic.therapy_recommendations.value))
    runtime.add_consumer(
        "eligibility",
        [Topic.case_events.value, Topic.mdt_outcomes.value],
        build_handlers(on_events),
        batch_handler=on_events,
    )

    app = create_app(
        links=ELIGIBILITY_LINKS,
        service="eligibility",
        title="Eligibility: therapy options for bone metastases",
        lifespan=runtime.lifespan,
        readiness=runtime.readiness,
        refresh_metrics=runtime.refresh_metrics,
        max_body_bytes=settings.max_body_bytes,
        asyncapi=asyncapi_document(
            service="eligibility",
            title="eligibility: Kafka topics",
            sends=[Topic.therapy_recommendations],
            receives=[Topic.case_events, Topic.mdt_outcomes],
        ),
    )
    app.include_router(
        build_router(runtime.sessions, TokenTable.parse(settings.api_tokens.get_secret_value()))
    )
    app.state.runtime = runtime
    return app
