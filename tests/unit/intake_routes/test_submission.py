"""The submission use case with a fake unit of work and fake statements: the one-statement path without a
key, an Idempotency-Key's replay and conflict in one transaction, and the retries of a lost race."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from services.intake import service, submission
from services.intake.case_view import PipelineStatus, SubmissionReceipt
from shared.contracts.case import CaseSubmission
from tests.support.cases import a_case
from tests.support.fake_unit_of_work import FakeUnitOfWork

RECEIPT = SubmissionReceipt(case_id=uuid.uuid4(), case_version=1, status=PipelineStatus.received)
STORED = SubmissionReceipt(case_id=uuid.uuid4(), case_version=3, status=PipelineStatus.evaluated)
RACE_LOST = IntegrityError("INSERT INTO intake.idempotency", {}, Exception("duplicate key"))


class Statements:
    """Stands in for the statements the use case runs: answers scripted per call, calls kept in order."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, *, replays: list[Any], remembers: list[Any] | None = None
    ) -> None:
        self.log: list[tuple[str, dict[str, Any]]] = []
        self._replays = replays
        self._remembers = remembers or []
        monkeypatch.setattr(service, "submit_case", self._submit_case)
        monkeypatch.setattr(submission, "driver_connection", self._connection)
        monkeypatch.setattr(submission, "replay_idempotent", self._replay)
        monkeypatch.setattr(submission, "remember_idempotent", self._remember)

    async def _connection(self, session: Any) -> Any:
        return session

    async def _submit_case(self, _: Any, **kwargs: Any) -> tuple[SubmissionReceipt, bool]:
        self.log.append(("submit_case", kwargs))
        return RECEIPT, True

    async def _replay(self, _: Any, **kwargs: Any) -> Any:
        self.log.append(("replay", kwargs))
        return _answer(self._replays.pop(0))

    async def _remember(self, _: Any, **kwargs: Any) -> None:
        self.log.append(("remember", kwargs))
        if self._remembers:
            _answer(self._remembers.pop(0))

    def names(self) -> list[str]:
        return [name for name, _ in self.log]


def _answer(scripted: Any) -> Any:
    if isinstance(scripted, Exception):
        raise scripted
    return scripted


async def _submit(
    uow: FakeUnitOfWork, key: str | None, body: bytes = b'{"a": 1}'
) -> tuple[SubmissionReceipt, bool]:
    return await submission.submit(
        uow,
        client="hospital-a",
        submission=CaseSubmission.model_validate(a_case()),
        topic="case-events",
        idempotency_key=key,
        request_body=body,
        idempotency_ttl=timedelta(hours=24),
    )


async def test_without_a_key_the_submission_is_one_statement_on_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statements = Statements(monkeypatch, replays=[])
    uow = FakeUnitOfWork()
    assert await _submit(uow, None) == (RECEIPT, True)
    assert statements.names() == ["submit_case"]
    assert (uow.autocommits, uow.committed) == (1, 0)  # the autocommit wakes the relay for the outbox row


async def test_a_new_key_remembers_the_answer_in_the_submissions_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statements = Statements(monkeypatch, replays=[None])
    uow = FakeUnitOfWork()
    assert await _submit(uow, "k-1") == (RECEIPT, True)
    assert statements.names() == ["replay", "submit_case", "remember"]
    assert uow.autocommits == 0
    remembered = statements.log[2][1]
    assert remembered["status_code"] == 202
    assert remembered["response"] == RECEIPT.model_dump(mode="json")
    assert remembered["request_hash"] == statements.log[0][1]["request_hash"]
    assert uow.committed == 1


@pytest.mark.parametrize(("stored", "changed"), [((STORED, True), True), ((STORED, False), False)])
async def test_a_known_key_replays_the_first_answer_and_submits_nothing(
    monkeypatch: pytest.MonkeyPatch, stored: tuple[SubmissionReceipt, bool], changed: bool
) -> None:
    statements = Statements(monkeypatch, replays=[stored])
    assert await _submit(FakeUnitOfWork(), "k-1") == (STORED, changed)
    assert statements.names() == ["replay"]


async def test_a_key_reused_for_another_body_is_refused_and_rolled_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statements = Statements(monkeypatch, replays=[submission.IdempotencyConflictError()])
    uow = FakeUnitOfWork()
    with pytest.raises(submission.IdempotencyConflictError):
        await _submit(uow, "k-1")
    assert statements.names() == ["replay"]
    assert (uow.committed, uow.rolled_back) == (0, 1)


async def test_a_lost_race_is_tried_again_and_replays_the_winners_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statements = Statements(monkeypatch, replays=[None, (STORED, True)], remembers=[RACE_LOST])
    uow = FakeUnitOfWork()
    assert await _submit(uow, "k-1") == (STORED, True)
    assert statements.names() == ["replay", "submit_case", "remember", "replay"]
    assert (uow.committed, uow.rolled_back) == (1, 1)


async def test_three_lost_races_give_up(monkeypatch: pytest.MonkeyPatch) -> None:
    statements = Statements(monkeypatch, replays=[None] * 3, remembers=[RACE_LOST] * 3)
    uow = FakeUnitOfWork()
    with pytest.raises(IntegrityError):
        await _submit(uow, "k-1")
    assert statements.names().count("remember") == submission.ATTEMPTS == 3
    assert (uow.committed, uow.rolled_back) == (0, 3)


async def test_the_request_hash_tells_bodies_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    statements = Statements(monkeypatch, replays=[None, None, None])
    for body in (b'{"a": 1}', b'{"a": 1}', b'{"a": 2}'):
        await _submit(FakeUnitOfWork(), "k-1", body)
    first, same, other = (kwargs["request_hash"] for name, kwargs in statements.log if name == "replay")
    assert first == same != other
