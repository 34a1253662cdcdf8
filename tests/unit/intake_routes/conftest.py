"""Intake's HTTP app in process (httpx over ASGI) without its runtime: no database, no broker. The unit of
work is a FakeUnitOfWork and each test replaces the use case its route calls."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.intake.main import http_app
from services.intake.settings import IntakeSettings
from tests.support.fake_unit_of_work import FakeUnitOfWork
from tests.support.services import TEST_TOKENS

PROBLEM_JSON = "application/problem+json"
FHIR_JSON = "application/fhir+json"


@asynccontextmanager
async def _nothing_runs_beside(_: FastAPI) -> AsyncIterator[None]:
    yield


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def intake_app(uow: FakeUnitOfWork) -> FastAPI:
    settings = IntakeSettings(
        environment="test",
        api_tokens=",".join(f"{role}:{token}" for role, token in TEST_TOKENS.items()),
        kafka_topic_prefix="run-1.",
        webhook_allowed_hosts="hooks.example",
    )
    app = http_app(settings, lifespan=_nothing_runs_beside, readiness=dict)
    app.state.unit_of_work = uow
    return app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


@pytest.fixture
async def intake(uow: FakeUnitOfWork) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(intake_app(uow)) as client:
        yield client


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem+json body of an answer that must have this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def outcome(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    """The issues of the OperationOutcome of an answer that must have this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == FHIR_JSON
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    issues: list[dict[str, Any]] = body["issue"]
    return issues
