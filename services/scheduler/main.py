"""Composition root of the scheduler service."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI

from services.scheduler import views
from services.scheduler.adapters.calendar_cache import CachedCalendars
from services.scheduler.adapters.tables import SCHEMA, inbox, outbox
from services.scheduler.api import ROUTERS, ApiContext
from services.scheduler.consumer import subscription
from services.scheduler.openapi_links import SCHEDULER_LINKS
from services.scheduler.service import BookingPolicy, worklist_size
from services.scheduler.settings import SchedulerSettings
from services.scheduler.timer import MeetingClock
from services.scheduler.worklist import WorklistRetrier
from shared.auth import TokenTable
from shared.contracts.asyncapi import asyncapi_document
from shared.contracts.events import Topic
from shared.http.app import create_app
from shared.logging import configure_logging
from shared.metrics import MEETINGS_WITHOUT_QUORUM, WORKLIST_SIZE
from shared.runtime import ServiceRuntime


def create_application(settings: SchedulerSettings | None = None) -> FastAPI:
    settings = settings or SchedulerSettings()
    configure_logging()
    runtime = ServiceRuntime(
        settings, schema=SCHEMA, migrations=Path(__file__).parent / "migrations", outbox=outbox, inbox=inbox
    )
    policy = BookingPolicy(
        duration=timedelta(minutes=settings.mdt_duration_minutes),
        booking_topic=settings.topic(Topic.mdt_bookings.value),
        min_lead=timedelta(minutes=settings.min_lead_minutes),
        emergency_min_lead=timedelta(minutes=settings.emergency_min_lead_minutes),
        calendars=CachedCalendars(),
        outcome_topic=settings.topic(Topic.mdt_outcomes.value),
    )
    consumed = subscription(policy)
    runtime.subscribe(consumed)
    retrier = WorklistRetrier(runtime.unit_of_work, policy)

    async def refresh_metrics() -> None:
        await runtime.refresh_metrics()
        async with runtime.sessions() as session:
            WORKLIST_SIZE.set(await worklist_size(session))
            MEETINGS_WITHOUT_QUORUM.labels("48h").set(
                await views.meetings_without_quorum(session, datetime.now(UTC), timedelta(hours=48))
            )

    clock = MeetingClock(runtime.unit_of_work, policy, retrier.trigger, settings.meeting_clock_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            task = asyncio.create_task(clock.run())
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = create_app(
        links=SCHEDULER_LINKS,
        service="scheduler",
        title="Scheduler: MDT bookings, meetings and the coordinators' API",
        lifespan=lifespan,
        readiness=runtime.readiness,
        refresh_metrics=refresh_metrics,
        max_body_bytes=settings.max_body_bytes,
        asyncapi=asyncapi_document(
            service="scheduler",
            title="scheduler: Kafka topics",
            sends=[Topic.mdt_bookings, Topic.mdt_outcomes],
            receives=list(consumed.topics),
        ),
    )
    for router in ROUTERS:
        app.include_router(router)
    app.state.unit_of_work = runtime.unit_of_work
    app.state.tokens = TokenTable.parse(settings.api_tokens.get_secret_value())
    app.state.scheduler_api = ApiContext(policy, retrier, settings.clinic_timezone)
    app.state.runtime = runtime
    return app
