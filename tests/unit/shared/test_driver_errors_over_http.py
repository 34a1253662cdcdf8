"""Errors of statements sent straight to the driver (shared/db/driver.py) reach the HTTP layer unwrapped by
SQLAlchemy: a lost connection is still a 503 with Retry-After, a constraint violation still a 500."""

import asyncpg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi

from shared.http.problems import install_problem_handlers


def app_raising(error: Exception) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/fails")
    async def fails() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        # Seen in the fault suite: a statement on a connection whose server had just shut down.
        asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
        AsyncAdapt_asyncpg_dbapi.InterfaceError("connection is closed"),  # type: ignore[no-untyped-call]
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_lost_connection_is_a_503_with_retry_after(error: Exception) -> None:
    response = app_raising(error).get("/fails")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_constraint_violation_is_a_500_problem() -> None:
    response = app_raising(asyncpg.exceptions.UniqueViolationError("duplicate key")).get("/fails")
    assert response.status_code == 500
    assert response.json()["title"] == "Internal error"
