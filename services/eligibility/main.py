"""Composition root of the eligibility service."""

from pathlib import Path

from fastapi import FastAPI

from services.eligibility.adapters.tables import SCHEMA, inbox, outbox
from services.eligibility.api import router
from services.eligibility.consumer import subscription
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
    consumed = subscription(settings.topic(Topic.therapy_recommendations.value))
    runtime.subscribe(consumed)

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
            receives=list(consumed.topics),
        ),
    )
    app.include_router(router)
    app.state.runtime = runtime
    app.state.unit_of_work = runtime.unit_of_work
    app.state.tokens = TokenTable.parse(settings.api_tokens.get_secret_value())
    return app
