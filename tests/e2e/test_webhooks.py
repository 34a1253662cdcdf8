"""Webhooks end to end: the three services as processes (a database and topic prefix of this module's own,
the retry schedule shortened by WEBHOOK_SCHEDULE_SCALE), a receiver on 127.0.0.1. A posted case produces
signed `recommendation.issued` and `booking.confirmed` deliveries that verify with the Standard Webhooks
reference library; a receiver down for a while gets the rest in order once it is back; intake killed
(SIGKILL) in the middle of a delivery loses nothing: every event arrives at least once, in order per case."""

import signal
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from tests.support.cases import a_case
from tests.support.clinic import staff_every_specialty
from tests.support.database import run_database
from tests.support.infrastructure import Infrastructure, new_run_id
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth, running_pipeline
from tests.support.webhook_receiver import Received, WebhookReceiver

pytestmark = pytest.mark.e2e

WEBHOOK_ENV = {
    # 5 s -> 5 ms, 5 min -> 0.3 s, 30 min -> 1.8 s, 2 h -> 7.2 s, ...; 5 days -> 7.2 min
    "WEBHOOK_SCHEDULE_SCALE": "0.001",
    "WEBHOOK_TIMEOUT_SECONDS": "3",
    "WEBHOOK_LEASE_SECONDS": "8",
    "WEBHOOK_POLL_SECONDS": "0.2",
}


@pytest.fixture(scope="module")
def hooked(infrastructure: Infrastructure, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    run = new_run_id()
    with (
        run_database(infrastructure.admin_database_url, f"bonemets_hooks_{run}") as database_url,
        running_pipeline(
            database_url,
            infrastructure.kafka_bootstrap_servers,
            f"test-{run}.hooks.",
            tmp_path_factory.mktemp("webhook-logs"),
            extra_env=WEBHOOK_ENV,
        ) as pipeline,
    ):
        staff_every_specialty(pipeline.url("scheduler"), per_specialty=3)
        yield pipeline


@dataclass
class Subscription:
    webhook_id: str
    secret: str
    client: str

    @property
    def headers(self) -> dict[str, str]:
        return {**auth("integration"), "X-Client-Id": self.client}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver().start()
    yield running
    running.release_hangs.set()
    running.stop()


def subscribe(pipeline: Pipeline, receiver: WebhookReceiver) -> Subscription:
    client = f"hospital-{uuid.uuid4().hex[:8]}"  # its own client: no other test's cases reach it
    response = httpx.post(
        f"{pipeline.url('intake')}/v1/webhooks",
        json={"url": receiver.url, "event_types": ["recommendation.issued", "booking.*", "case.withdrawn"]},
        headers={**auth("integration"), "X-Client-Id": client},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return Subscription(response.json()["webhook_id"], response.json()["secret"], client)


def post_cases(pipeline: Pipeline, subscription: Subscription, count: int) -> list[str]:
    def post(_: int) -> str:
        response = httpx.post(
            f"{pipeline.url('intake')}/v1/cases", json=a_case(), headers=subscription.headers, timeout=30
        )
        assert response.status_code == 202, response.text
        return str(response.json()["case_id"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(post, range(count)))


def deliveries(
    pipeline: Pipeline, subscription: Subscription, status: str | None = None
) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{pipeline.url('intake')}/v1/webhooks/{subscription.webhook_id}/deliveries",
        params={"status": status, "limit": 1000} if status else {"limit": 1000},
        headers=subscription.headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def by_case(received: list[Received], secret: str) -> dict[str, list[tuple[str, str]]]:
    """(webhook-id, type) per case, in arrival order, each request verified by the reference library."""
    seen: dict[str, list[tuple[str, str]]] = {}
    for request in received:
        body: Any = request.verified(secret)
        seen.setdefault(body["data"]["case_id"], []).append((request.webhook_id, body["type"]))
    return seen


def first_occurrences(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    kept: list[tuple[str, str]] = []
    for item in items:
        if item not in kept:
            kept.append(item)
    return kept


def recorded_order(pipeline: Pipeline, subscription: Subscription) -> dict[str, list[tuple[str, str]]]:
    """Per case, the events in the order intake recorded them (the API lists the newest first)."""
    order: dict[str, list[tuple[str, str]]] = {}
    for delivery in reversed(deliveries(pipeline, subscription)):
        order.setdefault(delivery["case_id"], []).append((delivery["event_id"], delivery["event_type"]))
    return order


def test_a_posted_case_produces_signed_recommendation_and_booking_deliveries(
    hooked: Pipeline, receiver: WebhookReceiver
) -> None:
    subscription = subscribe(hooked, receiver)
    (case_id,) = post_cases(hooked, subscription, 1)

    received = eventually(lambda: r if len(r := receiver.received) >= 2 else None, timeout=60)
    seen = by_case(received, subscription.secret)
    assert [kind for _, kind in seen[case_id]] == ["recommendation.issued", "booking.confirmed"]
    recommendation, booking = (orjson.loads(r.body) for r in received[:2])
    assert recommendation["data"]["case_id"] == case_id and recommendation["data"]["case_version"] == 1
    assert "radiology" in recommendation["data"]["required_specialties"]
    assert booking["data"]["status"] == "confirmed" and booking["data"]["participants"]
    states = eventually(lambda: d if len(d := deliveries(hooked, subscription, "delivered")) == 2 else None)
    assert {d["event_id"] for d in states} == {r.webhook_id for r in received}

    withdrawn = httpx.delete(f"{hooked.url('intake')}/v1/cases/{case_id}", headers=subscription.headers)
    assert withdrawn.status_code == 202
    received = eventually(lambda: r if len(r := receiver.received) >= 4 else None, timeout=60)
    kinds = {kind for _, kind in by_case(received, subscription.secret)[case_id][2:]}
    assert kinds == {"case.withdrawn", "booking.cancelled"}


def test_a_webhook_to_a_disallowed_host_is_refused_at_subscription(hooked: Pipeline) -> None:
    for url, reason in (
        ("http://169.254.169.254/latest/meta-data", "not allowed"),
        ("https://engine.hospital.example/hook", "not allowed"),
        ("file:///etc/passwd", "scheme"),
    ):
        response = httpx.post(
            f"{hooked.url('intake')}/v1/webhooks",
            json={"url": url, "event_types": ["booking.*"]},
            headers=auth("integration"),
        )
        assert response.status_code == 422, response.text
        (error,) = response.json()["errors"]
        assert error["field"] == "url" and reason in error["reason"]


def test_a_receiver_down_for_a_while_gets_the_rest_in_order_once_back(
    hooked: Pipeline, receiver: WebhookReceiver
) -> None:
    subscription = subscribe(hooked, receiver)
    receiver.stop()
    cases = post_cases(hooked, subscription, 3)

    def failing_a_while() -> bool | None:
        # Each case's recommendation is retried; its booking waits behind it (order per case). The list's
        # order across cases is the order of recording, which interleaves cases.
        pending = deliveries(hooked, subscription, "pending")
        recommendations = [d for d in pending if d["event_type"] == "recommendation.issued"]
        bookings = [d for d in pending if d["event_type"] == "booking.confirmed"]
        retried = len(recommendations) == 3 and all(d["attempts"] >= 2 for d in recommendations)
        return True if retried and all(d["attempts"] == 0 for d in bookings) else None

    eventually(failing_a_while, timeout=60, interval=0.5)
    assert all(
        a["error"] == "ConnectError" for d in deliveries(hooked, subscription) for a in d["attempt_log"]
    )
    receiver.start()

    eventually(lambda: True if len(deliveries(hooked, subscription, "delivered")) == 6 else None, timeout=90)
    seen = by_case(receiver.received, subscription.secret)
    assert seen == recorded_order(hooked, subscription)
    for case_id in cases:
        assert [kind for _, kind in seen[case_id]] == ["recommendation.issued", "booking.confirmed"]


def test_intake_killed_mid_delivery_loses_no_event_and_keeps_each_cases_order(
    hooked: Pipeline, receiver: WebhookReceiver
) -> None:
    subscription = subscribe(hooked, receiver)
    receiver.behaviour = lambda _: "ok" if receiver.release_hangs.is_set() else "hang"
    cases = post_cases(hooked, subscription, 4)
    eventually(lambda: receiver.received or None, timeout=60)  # a delivery is in flight, unanswered

    hooked.stop("intake", signal.SIGKILL)
    receiver.release_hangs.set()
    hooked.start("intake")

    def everything_delivered() -> bool | None:
        states = deliveries(hooked, subscription)
        done = len(states) == 2 * len(cases) and all(d["status"] == "delivered" for d in states)
        return True if done else None

    eventually(everything_delivered, timeout=120, interval=0.5)
    seen = by_case(receiver.received, subscription.secret)
    expected = recorded_order(hooked, subscription)
    assert set(seen) == set(cases)
    for case_id in cases:
        assert first_occurrences(seen[case_id]) == expected[case_id]  # at least once, in order
        assert len(expected[case_id]) == 2
