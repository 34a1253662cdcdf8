"""The scheduler's app as main.py composes it, in process (httpx over ASGI, no lifespan: no Kafka, no
PostgreSQL), with the FakeUnitOfWork in place of the database and each route's use case replaced by a fake
that opens a transaction through the unit of work and then answers or refuses as the test says."""

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from services.scheduler.api.context import ApiContext
from services.scheduler.main import create_application
from services.scheduler.settings import SchedulerSettings
from shared.http.dependencies import unit_of_work
from tests.support.fake_unit_of_work import FakeUnitOfWork
from tests.support.services import TEST_TOKENS, auth

# A coordinator's changes are audited by a digest of their token, never the token.
ACTOR = hashlib.sha256(TEST_TOKENS["coordinator"].encode()).hexdigest()[:12]
CLOSED = "127.0.0.1:9"  # nothing listens there: a route test that reached Kafka or PostgreSQL would fail


@dataclass
class Call:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass
class Api:
    client: httpx.AsyncClient
    uow: FakeUnitOfWork
    context: ApiContext
    monkeypatch: pytest.MonkeyPatch
    retried: list[str] = field(default_factory=list)

    def fake(
        self, module: ModuleType, name: str, result: Any = None, *, raises: Exception | None = None
    ) -> list[Call]:
        """Replaces `module.name` (the use case the route calls); returns the calls it received."""
        calls: list[Call] = []

        async def use_case(uow: Any, *args: Any, **kwargs: Any) -> Any:
            assert uow is self.uow, "the route hands the use case the app's unit of work"
            calls.append(Call(args, kwargs))
            async with uow.begin():
                if raises is not None:
                    raise raises
                return result

        self.monkeypatch.setattr(module, name, use_case)
        return calls

    def as_role(self, role: str | None) -> dict[str, str]:
        return auth(role) if role else {"Authorization": ""}


def settings() -> SchedulerSettings:
    return SchedulerSettings(
        api_tokens=SecretStr(",".join(f"{role}:{token}" for role, token in TEST_TOKENS.items())),
        database_url=f"postgresql+asyncpg://nobody:nothing@{CLOSED}/none",
        kafka_bootstrap_servers=CLOSED,
    )


@pytest.fixture
async def api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Api]:
    app = create_application(settings())
    fake = FakeUnitOfWork()
    app.dependency_overrides[unit_of_work] = lambda: fake
    context: ApiContext = app.state.scheduler_api
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://scheduler", headers=auth("coordinator")
    ) as client:
        harness = Api(client, fake, context, monkeypatch)
        monkeypatch.setattr(context.retrier, "trigger", lambda: harness.retried.append("worklist"))
        yield harness


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem+json body of a refusal, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def fields(body: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["reason"] for error in body.get("errors") or []}
