"""One mapping from a use case's refusal to problem+json, and a unit of work that wakes the relay only after
a commit."""

import httpx
import pytest
from fastapi import FastAPI

from shared.db.unit_of_work import SessionUnitOfWork
from shared.errors import ConflictError, DomainError, FieldProblem, InvalidRequestError, NotFoundError
from shared.http.problems import install_problem_handlers


class _MeetingLocked(ConflictError):
    pass


def _app_raising(error: Exception) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/thing")
    async def thing() -> None:
        raise error

    return app


async def _get(app: FastAPI) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.get("/thing")


@pytest.mark.parametrize(
    ("error", "status", "title"),
    [
        (NotFoundError("no meeting with this id"), 404, "Not found"),
        (_MeetingLocked("the meeting is locked"), 409, "Conflict"),
        (InvalidRequestError("minutes", "must be at least 1"), 422, "Invalid request"),
    ],
)
async def test_each_kind_of_refusal_has_one_status_and_a_problem_body(
    error: DomainError, status: int, title: str
) -> None:
    response = await _get(_app_raising(error))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["title"], body["detail"]) == (status, title, error.detail)


async def test_the_failing_fields_are_listed() -> None:
    response = await _get(_app_raising(InvalidRequestError("slot.start", "must be in the future")))
    assert response.json()["errors"] == [{"field": "slot.start", "reason": "must be in the future"}]
    problems = [FieldProblem("a", "missing"), FieldProblem("b", "too long")]
    response = await _get(_app_raising(ConflictError("two problems", problems)))
    assert response.json()["errors"] == [
        {"field": "a", "reason": "missing"},
        {"field": "b", "reason": "too long"},
    ]


class _FakeTransaction:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def __aenter__(self) -> None:
        self.log.append("begin")

    async def __aexit__(self, kind: object, *_: object) -> None:
        self.log.append("rollback" if kind else "commit")


class _FakeSession:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def __aenter__(self) -> "_FakeSession":
        return self

    async def __aexit__(self, *_: object) -> None:
        self.log.append("close")

    def begin(self) -> _FakeTransaction:
        return _FakeTransaction(self.log)


async def test_the_relay_is_woken_after_the_commit_and_never_after_a_rollback() -> None:
    log: list[str] = []
    uow = SessionUnitOfWork(lambda: _FakeSession(log), after_commit=lambda: log.append("wake"))  # type: ignore[arg-type]
    async with uow.begin():
        log.append("work")
    assert log == ["begin", "work", "commit", "close", "wake"]

    log.clear()
    with pytest.raises(NotFoundError):
        async with uow.begin():
            raise NotFoundError("gone")
    assert log == ["begin", "rollback", "close"]
