"""Webhooks on the real PostgreSQL, in process: the API (httpx over ASGI), deliveries written with the events
intake records, and the delivery worker posting to a real receiver on 127.0.0.1 that answers 500, hangs,
redirects or closes the connection. A database of this module's own, so that no running intake's worker
takes these deliveries."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from fastapi import FastAPI
from opentelemetry import context as otel_context
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake import service
from services.intake.main import http_app
from services.intake.settings import IntakeSettings
from services.intake.webhooks.domain.targets import AllowedHosts
from services.intake.webhooks.worker import DeliveryWorker
from shared.contracts.case import CaseSubmission
from shared.contracts.events import EventEnvelope, EventType
from shared.db.engine import SessionFactory, create_engine, create_session_factory
from shared.db.unit_of_work import SessionUnitOfWork
from shared.kafka.consumer import Delivery
from shared.settings import ServiceSettings
from tests.support.cases import a_case
from tests.support.database import run_database
from tests.support.infrastructure import Infrastructure, new_run_id
from tests.support.services import TEST_TOKENS, auth
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.integration
TOPIC = "webhooks-test.case-events"
LOOPBACK_HOSTS = "localhost,127.0.0.0/8,::1"
LOOPBACK = AllowedHosts.parse(LOOPBACK_HOSTS)


@dataclass
class Setup:
    engine: AsyncEngine
    sessions: SessionFactory
    uow: SessionUnitOfWork
    api: httpx.AsyncClient
    dsn: str


@pytest.fixture(scope="module")
def webhooks_database(infrastructure: Infrastructure) -> Iterator[str]:
    with run_database(infrastructure.admin_database_url, f"bonemets_webhooks_{new_run_id()}") as url:
        yield url


@pytest.fixture
async def setup(webhooks_database: str) -> AsyncIterator[Setup]:
    engine = create_engine(ServiceSettings(database_url=webhooks_database))
    sessions = create_session_factory(engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield

    settings = IntakeSettings(
        api_tokens=",".join(f"{role}:{token}" for role, token in TEST_TOKENS.items()),
        webhook_allowed_hosts=LOOPBACK_HOSTS,
    )
    app = http_app(settings, lifespan=lifespan, readiness=dict)
    app.state.unit_of_work = uow = SessionUnitOfWork(sessions)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as api:
        yield Setup(engine, sessions, uow, api, webhooks_database.replace("+asyncpg", ""))
    await engine.dispose()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver().start()
    yield running
    running.release_hangs.set()
    running.stop()


@asynccontextmanager
async def worker(setup: Setup, **options: Any) -> AsyncIterator[DeliveryWorker]:
    settings = {"schedule_scale": 1e-5, "timeout_seconds": 1.0, "lease_seconds": 6.0, "poll_seconds": 0.05}
    running = DeliveryWorker(setup.engine, allowed_hosts=LOOPBACK, **{**settings, **options})
    task = asyncio.create_task(running.run())
    try:
        yield running
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def subscribe(
    setup: Setup, url: str, types: list[str] | None = None, client: str = "default"
) -> dict[str, Any]:
    response = await setup.api.post(
        "/v1/webhooks",
        json={"url": url, "event_types": types or ["recommendation.issued", "booking.*", "case.withdrawn"]},
        headers={**auth("integration"), "X-Client-Id": client},
    )
    assert response.status_code == 201, response.text
    return {**response.json(), "client": client}


async def submit(setup: Setup, client: str = "default") -> uuid.UUID:
    async with SessionUnitOfWork(setup.sessions).autocommit() as connection:
        receipt, _ = await service.submit_case(
            connection,
            client=client,
            submission=CaseSubmission.model_validate(a_case()),
            topic=TOPIC,
        )
    return receipt.case_id


def recommendation(case_id: uuid.UUID) -> EventEnvelope:
    return EventEnvelope(
        event_type=EventType.recommendation_issued,
        case_id=case_id,
        case_version=1,
        payload={
            "case_version": 1,
            "ruleset_version": "2026.11",
            "evaluated_at": "2026-11-27T12:00:00+00:00",
            "urgency": "routine",
            "book_within_hours": 336,
            "required_specialties": ["radiology"],
            "therapies": [{"code": "ANALGESIA_NONOPIOID", "status": "recommended"}],
        },
    )


def booking(case_id: uuid.UUID) -> EventEnvelope:
    return EventEnvelope(
        event_type=EventType.booking_confirmed,
        case_id=case_id,
        case_version=1,
        payload={"case_version": 1, "status": "confirmed"},
    )


async def record(setup: Setup, envelopes: list[EventEnvelope]) -> None:
    async with setup.sessions() as session, session.begin():
        await service.record_downstream_decisions(
            session, [Delivery(e, otel_context.get_current()) for e in envelopes]
        )


async def wait_for(probe: Any, within: float = 30.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = await probe()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.1)


async def deliveries(setup: Setup, hook: dict[str, Any], status: str | None = None) -> list[dict[str, Any]]:
    response = await setup.api.get(
        f"/v1/webhooks/{hook['webhook_id']}/deliveries",
        params={"status": status} if status else {},
        headers={**auth("integration"), "X-Client-Id": hook["client"]},
    )
    assert response.status_code == 200, response.text
    return list(response.json())


# The API


async def test_a_subscription_shows_its_secret_once(setup: Setup, receiver: WebhookReceiver) -> None:
    created = await subscribe(setup, receiver.url, ["booking.*", "recommendation.issued"])
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["booking.*", "recommendation.issued"]
    assert created["status"] == "active"
    listed = (await setup.api.get("/v1/webhooks", headers=auth("integration"))).json()
    mine = [w for w in listed if w["webhook_id"] == created["webhook_id"]]
    assert len(mine) == 1 and "secret" not in mine[0]
    other_client = (
        await setup.api.get("/v1/webhooks", headers={**auth("integration"), "X-Client-Id": "other"})
    ).json()
    assert created["webhook_id"] not in {w["webhook_id"] for w in other_client}


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"url": "ftp://127.0.0.1/hook", "event_types": ["booking.*"]}, "url", "scheme"),
        ({"url": "https://hospital.example.org/hook", "event_types": ["booking.*"]}, "url", "not allowed"),
        ({"url": "http://169.254.169.254/", "event_types": ["booking.*"]}, "url", "not allowed"),
        (
            {"url": "http://127.0.0.1/h", "event_types": ["booking.*", "case.submitted"]},
            "event_types[1]",
            "unknown",
        ),
        ({"url": "http://127.0.0.1/h", "event_types": []}, "event_types", "at least 1"),
    ],
)
async def test_bad_subscriptions_are_422_with_field_and_reason(
    setup: Setup, body: dict[str, Any], field: str, reason: str
) -> None:
    response = await setup.api.post("/v1/webhooks", json=body, headers=auth("integration"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    assert error["field"] == field and reason in error["reason"]


async def test_only_the_integration_role_manages_webhooks(setup: Setup) -> None:
    for role in ("ops", "clinician", "coordinator"):
        assert (await setup.api.get("/v1/webhooks", headers=auth(role))).status_code == 403
    assert (await setup.api.get("/v1/webhooks")).status_code == 401


async def test_deleted_and_foreign_webhooks_are_404(setup: Setup, receiver: WebhookReceiver) -> None:
    created = await subscribe(setup, receiver.url)
    path = f"/v1/webhooks/{created['webhook_id']}"
    foreign = {**auth("integration"), "X-Client-Id": "other"}
    assert (await setup.api.get(f"{path}/deliveries", headers=foreign)).status_code == 404
    assert (await setup.api.delete(path, headers=foreign)).status_code == 404
    assert (await setup.api.delete(path, headers=auth("integration"))).status_code == 204
    assert (await setup.api.delete(path, headers=auth("integration"))).status_code == 404
    assert (await setup.api.get(f"{path}/deliveries", headers=auth("integration"))).status_code == 404


# Deliveries


async def test_recorded_events_are_delivered_signed_in_order(setup: Setup, receiver: WebhookReceiver) -> None:
    hook = await subscribe(setup, receiver.url, client="hospital-a")
    bookings_only = await subscribe(setup, receiver.url, ["booking.confirmed"], client="hospital-a")
    case_id = await submit(setup, client="hospital-a")
    other_clients_case = await submit(setup, client="hospital-b")
    events = [recommendation(case_id), booking(case_id)]
    await record(setup, [*events, recommendation(other_clients_case)])
    # A redelivered record never reaches intake's handler (the inbox); a repeat here changes nothing either.
    await record(setup, events[:1])

    async with worker(setup):
        received = await wait_for(lambda: _settled(receiver, 3))
        # Received is not yet settled: the worker writes the outcome after the answer.
        await wait_for(lambda: _all_delivered(setup, hook, 2))
    await asyncio.sleep(0.3)
    received = receiver.received
    assert len(received) == 3  # two events to the first hook, the booking to the second; no other client's
    mine = [r for r in received if _verifies(r, hook["secret"])]
    assert [r.webhook_id for r in mine] == [str(e.event_id) for e in events]
    bodies = [orjson.loads(r.body) for r in mine]
    assert [b["type"] for b in bodies] == ["recommendation.issued", "booking.confirmed"]
    assert all(b["data"]["case_id"] == str(case_id) and b["data"]["case_version"] == 1 for b in bodies)
    assert bodies[1]["data"]["status"] == "confirmed"
    assert bodies[0]["timestamp"] == events[0].occurred_at.isoformat()
    (second,) = [r for r in received if _verifies(r, bookings_only["secret"])]
    assert second.webhook_id == str(events[1].event_id)
    for request in received:
        assert request.headers["content-type"] == "application/json"
        assert int(request.headers["webhook-timestamp"]) > 1_700_000_000

    states = await deliveries(setup, hook, "delivered")
    assert [d["event_type"] for d in states] == ["booking.confirmed", "recommendation.issued"]  # newest first
    assert all(d["attempts"] == 1 and d["attempt_log"][0]["status_code"] == 200 for d in states)
    assert all(d["attempt_log"][0]["response_body"] == "ok" for d in states)


async def test_a_withdrawal_is_delivered_as_case_withdrawn(setup: Setup, receiver: WebhookReceiver) -> None:
    hook = await subscribe(setup, receiver.url, ["case.withdrawn"], client="hospital-w")
    case_id = await submit(setup, client="hospital-w")
    await service.withdraw_case(setup.uow, case_id=case_id, topic=TOPIC)
    async with worker(setup):
        (request,) = await wait_for(lambda: _settled(receiver, 1))
    body = request.verified(hook["secret"])
    assert body["type"] == "case.withdrawn"
    assert body["data"]["case_id"] == str(case_id) and "withdrawn_at" in body["data"]


async def test_500_hang_redirect_and_closed_connection_are_retried_and_recorded(
    setup: Setup, receiver: WebhookReceiver
) -> None:
    hook = await subscribe(setup, receiver.url, client="hospital-r")
    case_id = await submit(setup, client="hospital-r")
    events = [recommendation(case_id), booking(case_id)]
    await record(setup, events)
    answers = iter(["500", "hang", "redirect", "close", "big"])
    receiver.behaviour = lambda _: next(answers, "ok")

    async with worker(setup, schedule_scale=1e-4):
        await wait_for(lambda: _settled(receiver, 6), within=40)
        states = await wait_for(lambda: _all_delivered(setup, hook, 2), within=20)
    received = receiver.received
    # The booking waited for the recommendation: every one of its attempts came after the last of the other.
    assert [r.webhook_id for r in received] == [str(events[0].event_id)] * 5 + [str(events[1].event_id)]
    assert all(_verifies(r, hook["secret"]) for r in received)
    assert len({r.headers["webhook-timestamp"] + r.headers["webhook-signature"] for r in received}) >= 2
    first = next(d for d in states if d["event_type"] == "recommendation.issued")
    log = first["attempt_log"]
    assert [(a["status_code"], a["error"]) for a in log] == [
        (500, None),
        (None, "Timeout"),
        (302, None),
        (None, "RemoteProtocolError"),
        (200, None),
    ]
    assert log[0]["response_body"] == "broken"
    assert len(log[4]["response_body"]) == 1024  # at most 1 KB of an answer is kept
    assert first["attempts"] == 5 and first["status"] == "delivered"


async def test_failed_for_good_unblocks_the_next_event_and_a_manual_retry_requeues(
    setup: Setup, receiver: WebhookReceiver
) -> None:
    hook = await subscribe(setup, receiver.url, client="hospital-f")
    case_id = await submit(setup, client="hospital-f")
    events = [recommendation(case_id), booking(case_id)]
    await record(setup, events)
    first_id = str(events[0].event_id)
    receiver.behaviour = lambda r: "500" if r.webhook_id == first_id else "ok"

    async with worker(setup, schedule_scale=1e-5):
        failed = await wait_for(lambda: deliveries(setup, hook, "failed"))
        await wait_for(lambda: _all_delivered(setup, hook, 1))
        (state,) = failed
        assert state["event_type"] == "recommendation.issued"
        assert state["attempts"] == 8  # the first attempt and seven retries
        assert state["next_attempt_at"] is None
        assert [r.webhook_id for r in receiver.received] == [first_id] * 8 + [str(events[1].event_id)]

        receiver.behaviour = lambda _: "ok"
        path = f"/v1/webhooks/{hook['webhook_id']}/deliveries/{state['delivery_id']}/retry"
        response = await setup.api.post(path, headers=as_client(hook))
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "pending"
        await wait_for(lambda: _all_delivered(setup, hook, 2))
    assert [r.webhook_id for r in receiver.received][-1] == first_id
    again = await setup.api.post(
        f"/v1/webhooks/{hook['webhook_id']}/deliveries/{uuid.uuid4()}/retry", headers=as_client(hook)
    )
    assert again.status_code == 404


async def test_an_endpoint_failing_everything_for_5_days_is_disabled(
    setup: Setup, receiver: WebhookReceiver
) -> None:
    hook = await subscribe(setup, receiver.url, client="hospital-d")
    case_id = await submit(setup, client="hospital-d")
    await record(setup, [recommendation(case_id)])
    connection = await asyncpg.connect(setup.dsn)
    try:
        await connection.execute(
            "UPDATE intake.webhook_endpoints SET failing_since = now() - interval '5 days 1 second'"
            " WHERE webhook_id = $1",
            uuid.UUID(hook["webhook_id"]),
        )
    finally:
        await connection.close()
    receiver.behaviour = lambda _: "500"

    async with worker(setup, schedule_scale=1.0):
        listed = await wait_for(lambda: _endpoint(setup, hook, "disabled"))
        assert listed["disabled_at"] is not None
        (pending,) = await deliveries(setup, hook, "pending")
        assert pending["attempts"] == 1
        await record(setup, [booking(case_id)])
        await asyncio.sleep(1.0)
        assert len(receiver.received) == 1  # nothing goes to a disabled endpoint

        receiver.behaviour = lambda _: "ok"
        # A manual retry of a failed delivery enables the endpoint again; the queue then drains.
        connection = await asyncpg.connect(setup.dsn)
        try:
            await connection.execute(
                "UPDATE intake.webhook_deliveries SET status = 'failed' WHERE delivery_id = $1",
                uuid.UUID(pending["delivery_id"]),
            )
        finally:
            await connection.close()
        path = f"/v1/webhooks/{hook['webhook_id']}/deliveries/{pending['delivery_id']}/retry"
        assert (await setup.api.post(path, headers=as_client(hook))).status_code == 202
        assert (await _endpoint(setup, hook, "active")) is not None
        await wait_for(lambda: _all_delivered(setup, hook, 2))


async def test_a_hanging_case_does_not_hold_up_the_others(setup: Setup, receiver: WebhookReceiver) -> None:
    hook = await subscribe(setup, receiver.url, ["recommendation.issued"], client="hospital-p")
    slow, fast = await submit(setup, client="hospital-p"), await submit(setup, client="hospital-p")
    receiver.behaviour = lambda r: "hang" if str(slow) in r.body.decode() else "ok"
    await record(setup, [recommendation(slow)])
    await record(setup, [recommendation(fast)])
    async with worker(setup, timeout_seconds=5.0, lease_seconds=10.0):
        delivered = await wait_for(lambda: deliveries(setup, hook, "delivered"), within=4)
    assert [d["case_id"] for d in delivered] == [str(fast)]


async def test_two_workers_deliver_every_event_once_in_order_per_case(
    setup: Setup, receiver: WebhookReceiver
) -> None:
    hook = await subscribe(setup, receiver.url, client="hospital-2")
    cases = [await submit(setup, client="hospital-2") for _ in range(12)]
    expected: dict[str, list[str]] = {}
    for case_id in cases:
        events = [recommendation(case_id), booking(case_id)]
        await record(setup, events)
        expected[str(case_id)] = [str(e.event_id) for e in events]
    async with worker(setup, max_in_flight=3), worker(setup, max_in_flight=3):
        await wait_for(lambda: _all_delivered(setup, hook, 24), within=30)
    seen: dict[str, list[str]] = {}
    for request in receiver.received:
        body = request.verified(hook["secret"])
        seen.setdefault(body["data"]["case_id"], []).append(request.webhook_id)  # type: ignore[index]
    assert seen == expected


def as_client(hook: dict[str, Any]) -> dict[str, str]:
    return {**auth("integration"), "X-Client-Id": hook["client"]}


def _verifies(request: Any, secret: str) -> bool:
    try:
        request.verified(secret)
    except Exception:
        return False
    return True


async def _settled(receiver: WebhookReceiver, count: int) -> list[Any] | None:
    received = receiver.received
    return received if len(received) >= count else None


async def _all_delivered(setup: Setup, hook: dict[str, Any], count: int) -> list[dict[str, Any]] | None:
    delivered = await deliveries(setup, hook, "delivered")
    return delivered if len(delivered) >= count else None


async def _endpoint(setup: Setup, hook: dict[str, Any], status: str) -> dict[str, Any] | None:
    headers = {**auth("integration"), "X-Client-Id": hook["client"]}
    for listed in (await setup.api.get("/v1/webhooks", headers=headers)).json():
        if listed["webhook_id"] == hook["webhook_id"] and listed["status"] == status:
            return dict(listed)
    return None


async def test_deleting_a_webhook_while_the_worker_settles_an_attempt_waits_for_it(setup: Setup) -> None:
    """Found by the stateful phase: the worker settles an attempt by locking the delivery, then its endpoint;
    the DELETE's cascade took them the other way round, PostgreSQL broke the deadlock and the DELETE was a
    503. Now the DELETE waits for the settle and succeeds."""
    hook = await subscribe(setup, "http://127.0.0.1:9/hook", client="hospital-d")
    await record(setup, [recommendation(await submit(setup, client="hospital-d"))])
    (delivery,) = await deliveries(setup, hook)
    settling = await asyncpg.connect(setup.dsn)
    try:
        async with settling.transaction():
            await settling.execute(
                "UPDATE intake.webhook_deliveries SET next_attempt_at = now() WHERE delivery_id = $1",
                uuid.UUID(delivery["delivery_id"]),
            )
            deleting = asyncio.create_task(
                setup.api.delete(
                    f"/v1/webhooks/{hook['webhook_id']}",
                    headers={**auth("integration"), "X-Client-Id": "hospital-d"},
                )
            )
            await wait_for(lambda: _waiting_on_a_lock(settling))
            await settling.fetchrow(
                "SELECT failing_since FROM intake.webhook_endpoints WHERE webhook_id = $1 FOR UPDATE",
                uuid.UUID(hook["webhook_id"]),
            )
        response = await deleting
    finally:
        await settling.close()
    assert response.status_code == 204, response.text


async def _waiting_on_a_lock(connection: asyncpg.Connection) -> bool:
    return bool(
        await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
    )
