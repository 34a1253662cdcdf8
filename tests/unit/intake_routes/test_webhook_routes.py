"""Intake's webhook routes in process: the integration role only, reads included (meetings.md §7); what
reaches the use cases, and the status and problem+json body of every answer."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.intake.webhooks import store, subscriptions
from tests.support.fake_unit_of_work import FakeUnitOfWork
from tests.support.services import auth
from tests.unit.intake_routes.conftest import problem

WEBHOOK_ID = uuid.UUID("1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d")
DELIVERY_ID = uuid.UUID("2b3c4d5e-6f7a-4b9c-8d1e-2f3a4b5c6d7e")
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ENDPOINT = store.Endpoint(WEBHOOK_ID, "https://hooks.example/in", ["booking.*"], NOW, None, None)
DELIVERY = store.DeliveryState(
    delivery_id=DELIVERY_ID,
    event_id=uuid.uuid4(),
    event_type="booking.confirmed",
    case_id=uuid.uuid4(),
    case_version=1,
    status="pending",
    attempts=1,
    next_attempt_at=NOW,
    created_at=NOW,
    delivered_at=None,
    attempt_log=[store.Attempt(NOW, 12, 500, None, "down")],
)
HOOK = f"/v1/webhooks/{WEBHOOK_ID}"
RETRY = f"{HOOK}/deliveries/{DELIVERY_ID}/retry"


class Recorded:
    """Replaces the use cases of subscriptions.py; each answers `results[name]` (or raises it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, **results: Any) -> None:
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []
        for name, result in results.items():
            monkeypatch.setattr(subscriptions, name, self._use_case(name, result))

    def _use_case(self, name: str, result: Any) -> Any:
        async def use_case(uow: Any, **kwargs: Any) -> Any:
            self.calls.append((name, uow, kwargs))
            if isinstance(result, Exception):
                raise result
            return result

        return use_case


async def test_a_subscription_is_201_with_its_secret_shown_once(
    intake: httpx.AsyncClient, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = Recorded(monkeypatch, subscribe=(ENDPOINT, "whsec_abc"))
    response = await intake.post(
        "/v1/webhooks",
        json={"url": ENDPOINT.url, "event_types": ["booking.*"]},
        headers={**auth("integration"), "X-Client-Id": "hospital-a"},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["webhook_id"], body["status"], body["secret"]) == (str(WEBHOOK_ID), "active", "whsec_abc")
    ((name, given_uow, kwargs),) = recorded.calls
    assert (name, given_uow, kwargs["client"], kwargs["url"]) == (
        "subscribe",
        uow,
        "hospital-a",
        ENDPOINT.url,
    )
    assert kwargs["allowed_hosts"].allows("hooks.example")  # the settings' WEBHOOK_ALLOWED_HOSTS
    assert not kwargs["allowed_hosts"].allows("127.0.0.1")


async def test_a_refused_subscription_is_422_naming_every_field_and_writes_nothing(
    intake: httpx.AsyncClient, uow: FakeUnitOfWork
) -> None:
    response = await intake.post(
        "/v1/webhooks",
        json={"url": "https://elsewhere.example/in", "event_types": ["booking.*", "case.submitted"]},
        headers=auth("integration"),
    )
    body = problem(response, 422)
    assert (body["title"], body["detail"]) == ("Invalid request", "2 field(s) failed validation")
    assert [error["field"] for error in body["errors"]] == ["url", "event_types[1]"]
    assert "not allowed" in body["errors"][0]["reason"]
    assert "unknown event type" in body["errors"][1]["reason"]
    assert (uow.committed, uow.rolled_back) == (0, 0)


async def test_a_subscription_without_event_types_is_422_naming_the_field(
    intake: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = Recorded(monkeypatch, subscribe=(ENDPOINT, "whsec_abc"))
    response = await intake.post(
        "/v1/webhooks", json={"url": ENDPOINT.url, "event_types": []}, headers=auth("integration")
    )
    assert [error["field"] for error in problem(response, 422)["errors"]] == ["event_types"]
    assert recorded.calls == []


async def test_a_clients_subscriptions_are_listed(
    intake: httpx.AsyncClient, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = Recorded(monkeypatch, subscriptions=[ENDPOINT])
    response = await intake.get("/v1/webhooks", headers={**auth("integration"), "X-Client-Id": "hospital-a"})
    assert response.status_code == 200
    assert [hook["webhook_id"] for hook in response.json()] == [str(WEBHOOK_ID)]
    assert "secret" not in response.json()[0]
    assert recorded.calls == [("subscriptions", uow, {"client": "hospital-a"})]


async def test_unsubscribing_is_204_and_an_unknown_webhook_404(
    intake: httpx.AsyncClient, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = Recorded(monkeypatch, unsubscribe=None)
    response = await intake.delete(HOOK, headers=auth("integration"))
    assert response.status_code == 204 and response.content == b""
    assert recorded.calls == [("unsubscribe", uow, {"client": "default", "webhook_id": WEBHOOK_ID})]

    Recorded(monkeypatch, unsubscribe=subscriptions.WebhookNotFoundError())
    body = problem(await intake.delete(HOOK, headers=auth("integration")), 404)
    assert (body["title"], body["detail"]) == ("Not found", "no webhook with this id for this client")


async def test_deliveries_are_listed_with_their_attempts_filtered_by_status(
    intake: httpx.AsyncClient, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = Recorded(monkeypatch, deliveries=[DELIVERY])
    response = await intake.get(
        f"{HOOK}/deliveries", params={"status": "pending", "limit": 5}, headers=auth("integration")
    )
    assert response.status_code == 200
    (delivery,) = response.json()
    assert delivery["delivery_id"] == str(DELIVERY_ID)
    assert delivery["attempt_log"][0]["status_code"] == 500
    assert recorded.calls == [
        ("deliveries", uow, {"client": "default", "webhook_id": WEBHOOK_ID, "status": "pending", "limit": 5})
    ]


@pytest.mark.parametrize(
    ("params", "field"), [({"status": "lost"}, "query.status"), ({"limit": 0}, "query.limit")]
)
async def test_a_bad_status_or_limit_is_422_naming_it(
    intake: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, params: dict[str, Any], field: str
) -> None:
    recorded = Recorded(monkeypatch, deliveries=[])
    response = await intake.get(f"{HOOK}/deliveries", params=params, headers=auth("integration"))
    assert [error["field"] for error in problem(response, 422)["errors"]] == [field]
    assert recorded.calls == []


async def test_deliveries_of_an_unknown_webhook_are_404(
    intake: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    Recorded(monkeypatch, deliveries=subscriptions.WebhookNotFoundError())
    assert problem(await intake.get(f"{HOOK}/deliveries", headers=auth("integration")), 404)


async def test_a_retry_is_202_with_the_delivery_due_again(
    intake: httpx.AsyncClient, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = Recorded(monkeypatch, retry_delivery=DELIVERY)
    response = await intake.post(RETRY, headers=auth("integration"))
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert recorded.calls == [
        (
            "retry_delivery",
            uow,
            {"client": "default", "webhook_id": WEBHOOK_ID, "delivery_id": DELIVERY_ID},
        )
    ]


@pytest.mark.parametrize(
    ("refusal", "status", "title", "detail"),
    [
        (subscriptions.WebhookNotFoundError(), 404, "Not found", "no webhook with this id for this client"),
        (store.DeliveryNotFoundError(), 404, "Not found", "no delivery with this id for this webhook"),
        (
            store.DeliveryStillQueuedError(),
            409,
            "Still queued",
            "the delivery is pending: it will be tried again by itself",
        ),
    ],
)
async def test_a_retry_of_an_unknown_or_still_queued_delivery_is_refused(
    intake: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    refusal: Exception,
    status: int,
    title: str,
    detail: str,
) -> None:
    Recorded(monkeypatch, retry_delivery=refusal)
    body = problem(await intake.post(RETRY, headers=auth("integration")), status)
    assert (body["title"], body["detail"]) == (title, detail)


@pytest.mark.parametrize("role", ["ops", "coordinator", "clinician", None])
async def test_every_webhook_route_is_the_integration_roles_alone(
    intake: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, role: str | None
) -> None:
    recorded = Recorded(
        monkeypatch,
        subscribe=(ENDPOINT, "whsec_abc"),
        subscriptions=[ENDPOINT],
        unsubscribe=None,
        deliveries=[DELIVERY],
        retry_delivery=DELIVERY,
    )
    headers = auth(role) if role else {}
    status = 403 if role else 401
    for response in (
        await intake.post(
            "/v1/webhooks", json={"url": ENDPOINT.url, "event_types": ["booking.*"]}, headers=headers
        ),
        await intake.get("/v1/webhooks", headers=headers),
        await intake.delete(HOOK, headers=headers),
        await intake.get(f"{HOOK}/deliveries", headers=headers),
        await intake.post(RETRY, headers=headers),
    ):
        problem(response, status)
    assert recorded.calls == []


async def test_ids_that_are_not_uuids_are_422_naming_them(
    intake: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = Recorded(monkeypatch, unsubscribe=None, retry_delivery=DELIVERY)
    deleted = await intake.delete("/v1/webhooks/nope", headers=auth("integration"))
    assert [error["field"] for error in problem(deleted, 422)["errors"]] == ["path.webhook_id"]
    retried = await intake.post(f"{HOOK}/deliveries/nope/retry", headers=auth("integration"))
    assert [error["field"] for error in problem(retried, 422)["errors"]] == ["path.delivery_id"]
    assert recorded.calls == []
