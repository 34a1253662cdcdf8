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
from services.scheduler.api import ApiContext, build_router, meetings_router, outcomes_router, teams_router
from services.scheduler.consumer import TOPICS_CONSUMED, build_batch_handler, build_handlers
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
    handlers = build_handlers(policy)
    runtime.add_consumer("scheduler", TOPICS_CONSUMED, handlers, batch_handler=build_batch_handler(handlers))
    retrier = WorklistRetrier(runtime.sessions, policy, runtime.relay.wake)

    async def refresh_metrics() -> None:
        await runtime.refresh_metrics()
        async with runtime.sessions() as session:
            WORKLIST_SIZE.set(await worklist_size(session))
            MEETINGS_WITHOUT_QUORUM.labels("48h").set(
                await views.meetings_without_quorum(session, datetime.now(UTC), timedelta(hours=48))
            )

    clock = MeetingClock(
        runtime.sessions, policy, runtime.relay.wake, retrier.trigger, settings.meeting_clock_seconds
    )

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
            receives=[Topic(topic) for topic in TOPICS_CONSUMED],
        ),
    )
    app.include_router(
        build_router(
            runtime.sessions,
            TokenTable.parse(settings.api_tokens.get_secret_value()),
            policy,
            retrier,
            runtime.relay.wake,
            settings.clinic_timezone,
        )
    )
    app.include_router(teams_router)
    app.include_router(meetings_router)
    app.include_router(outcomes_router)
    app.state.scheduler_api = ApiContext(
        sessions=runtime.sessions,
        tokens=TokenTable.parse(settings.api_tokens.get_secret_value()),
        policy=policy,
        retrier=retrier,
        on_commit=runtime.relay.wake,
    )
    app.state.runtime = runtime
    return app
