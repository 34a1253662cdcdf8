"""Eligibility's set-based batch handler on the real database: a polled batch of case events, applied with a
few statements for all of them, leaves exactly what applying the same events one at a time leaves (the path
the consumer falls back on): the same recommendations, announced in the same order, and the same progress."""

import json
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry import context as otel_context
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.eligibility.domain import RULESET_VERSION, evaluate
from services.eligibility.service import apply_case_events, latest_recommendation
from shared.contracts.case import CaseSubmission
from shared.contracts.codes import TherapyCode
from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.recommendation import Discussion
from shared.db.engine import SessionFactory, create_engine, create_session_factory
from shared.db.unit_of_work import SessionUnitOfWork
from shared.kafka.consumer import Delivery, PoisonEventError
from shared.settings import ServiceSettings
from tests.support.cases import a_case

pytestmark = pytest.mark.integration
TOPIC = "batch-test.therapy-recommendations"
History = list[tuple[int, EventType, int]]  # (case number, event type, case version), in topic order


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(ServiceSettings(database_url=database_url))
    yield engine
    # The announcements must not wait in the shared outbox for another test's relay to publish.
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM eligibility.outbox WHERE topic = :topic"), {"topic": TOPIC})
    await engine.dispose()


def random_history(rng: random.Random, cases: int) -> History:
    """Per case: new versions, withdrawals, re-submissions after a withdrawal and stale (older) versions;
    the cases interleaved as they are on a partition, each case's events in order."""
    per_case: list[History] = []
    for case in range(cases):
        events: History = []
        version = 0
        for _ in range(rng.randint(1, 6)):
            roll = rng.random()
            if version and roll < 0.25:
                events.append((case, EventType.case_withdrawn, version))
            elif version > 1 and roll < 0.4:
                events.append((case, EventType.case_updated, rng.randint(1, version - 1)))
            else:
                version += 1
                kind = EventType.case_submitted if version == 1 else EventType.case_updated
                events.append((case, kind, version))
        per_case.append(events)
    history: History = []
    while any(per_case):
        history.append(rng.choice([events for events in per_case if events]).pop(0))
    return history


def deliveries(history: History, case_ids: list[uuid.UUID]) -> list[Delivery]:
    payload: dict[str, Any] = a_case()
    return [
        Delivery(
            EventEnvelope(
                event_type=kind,
                case_id=case_ids[case],
                case_version=version,
                payload={"reason": "test"} if kind == EventType.case_withdrawn else payload,
            ),
            otel_context.get_current(),
        )
        for case, kind, version in history
    ]


async def outcome(engine: AsyncEngine, case_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """Per case: the versions announced (outbox order), the versions stored, the progress row."""
    result = []
    async with engine.connect() as conn:
        for case_id in case_ids:
            announced = (
                await conn.execute(
                    text(
                        "SELECT event_type, (value::jsonb ->> 'case_version')::int FROM eligibility.outbox"
                        " WHERE key = :key ORDER BY id"
                    ),
                    {"key": str(case_id)},
                )
            ).all()
            stored = (
                await conn.execute(
                    text(
                        "SELECT case_version FROM eligibility.recommendations WHERE case_id = :id"
                        " ORDER BY case_version"
                    ),
                    {"id": case_id},
                )
            ).all()
            progress = (
                await conn.execute(
                    text(
                        "SELECT latest_version, withdrawn_at IS NOT NULL FROM eligibility.case_progress"
                        " WHERE case_id = :id"
                    ),
                    {"id": case_id},
                )
            ).first()
            result.append(
                {
                    "announced": [tuple(row) for row in announced],
                    "stored": [row[0] for row in stored],
                    "progress": None if progress is None else tuple(progress),
                }
            )
    return result


def expected_outcome(history: History, cases: int) -> list[dict[str, Any]]:
    """What the rules of the service say, from the history alone: a withdrawal stops a case, a newer version
    re-opens it, an older version than the newest seen is stale, each version is evaluated once."""
    progress: dict[int, list[Any]] = {}  # case -> [latest version, withdrawn]
    evaluated: dict[int, list[int]] = {case: [] for case in range(cases)}
    for case, kind, version in history:
        current = progress.get(case)
        if kind == EventType.case_withdrawn:
            progress[case] = [version if current is None else current[0], True]
            continue
        if current is not None and current[1] and version <= current[0]:
            continue
        if current is not None and version < current[0]:
            continue
        progress[case] = [version, False]
        if version not in evaluated[case]:
            evaluated[case].append(version)
    return [
        {
            "announced": [(EventType.recommendation_issued.value, version) for version in evaluated[case]],
            "stored": sorted(evaluated[case]),
            "progress": None if case not in progress else tuple(progress[case]),
        }
        for case in range(cases)
    ]


async def apply_in_one_batch(sessions: SessionFactory, batch: list[Delivery]) -> None:
    async with sessions() as session, session.begin():
        await apply_case_events(session, batch, topic=TOPIC)


async def apply_one_at_a_time(sessions: SessionFactory, batch: list[Delivery]) -> None:
    for delivery in batch:
        async with sessions() as session, session.begin():
            await apply_case_events(session, [delivery], topic=TOPIC)


@pytest.mark.parametrize("seed", range(6))
async def test_a_batch_leaves_what_one_at_a_time_leaves(engine: AsyncEngine, seed: int) -> None:
    rng = random.Random(seed)
    history = random_history(rng, cases=12)
    sessions = create_session_factory(engine)
    batched = [uuid.uuid4() for _ in range(12)]
    single = [uuid.uuid4() for _ in range(12)]

    # The batched run in two polls, split at a random point, as a consumer may see it.
    split = rng.randint(0, len(history))
    await apply_in_one_batch(sessions, deliveries(history[:split], batched))
    await apply_in_one_batch(sessions, deliveries(history[split:], batched))
    await apply_one_at_a_time(sessions, deliveries(history, single))

    expected = expected_outcome(history, 12)
    assert await outcome(engine, single) == expected
    assert await outcome(engine, batched) == expected


async def test_a_version_evaluated_before_is_neither_stored_nor_announced_again(engine: AsyncEngine) -> None:
    """A repeat of an applied event that got past the inbox (a new event id for the same version) changes
    nothing: one recommendation, one announcement."""
    sessions = create_session_factory(engine)
    case_id = uuid.uuid4()
    event = deliveries([(0, EventType.case_submitted, 1)], [case_id])
    again = deliveries([(0, EventType.case_submitted, 1)], [case_id])
    await apply_in_one_batch(sessions, event)
    await apply_in_one_batch(sessions, again + again)
    [result] = await outcome(engine, [case_id])
    assert result == {
        "announced": [(EventType.recommendation_issued.value, 1)],
        "stored": [1],
        "progress": (1, False),
    }


async def test_a_poison_event_fails_the_whole_batch_and_leaves_nothing(engine: AsyncEngine) -> None:
    """The consumer then applies the records one at a time and dead-letters only the poison one
    (tests/integration/test_consumer_batches.py); here: the batch itself commits nothing."""
    sessions = create_session_factory(engine)
    good, bad = uuid.uuid4(), uuid.uuid4()
    batch = deliveries([(0, EventType.case_submitted, 1)], [good])
    broken = dict(a_case())
    broken["lesions"] = "not a list"
    batch.append(
        Delivery(
            EventEnvelope(event_type=EventType.case_submitted, case_id=bad, case_version=1, payload=broken),
            otel_context.get_current(),
        )
    )
    with pytest.raises(Exception) as raised:
        await apply_in_one_batch(sessions, batch)
    assert raised.type.__name__ == "ValidationError" or raised.type is PoisonEventError
    assert await outcome(engine, [good, bad]) == [
        {"announced": [], "stored": [], "progress": None},
        {"announced": [], "stored": [], "progress": None},
    ]


def issued_under(ruleset: str, case_id: uuid.UUID) -> dict[str, Any]:
    """A recommendation as an earlier ruleset stored it: 2026.11 had no discussion, 2026.12 the twelve
    therapies before those of 2027.01."""
    issued = evaluate(
        CaseSubmission.model_validate(a_case()),
        case_id=case_id,
        case_version=1,
        evaluated_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
    ).model_dump(mode="json")
    issued["ruleset_version"] = ruleset
    issued["therapies"] = issued["therapies"][:12]
    if ruleset == "2026.11":
        del issued["discussion"], issued["discussion_reasons"]
    return issued


@pytest.mark.parametrize("earlier", ["2026.11", "2026.12"])
async def test_a_recommendation_stored_under_an_earlier_ruleset_stays_and_a_new_version_gets_the_current(
    engine: AsyncEngine, earlier: str
) -> None:
    """clinical-rules.md §8 and §9: a version evaluated under an earlier ruleset is not evaluated again (a
    repeat of its event stores and announces nothing), its stored recommendation still reads as it was
    (2026.11 without the discussion it never had, 2026.12 with its twelve therapies); the next case version
    is evaluated with 2027.01, with all fourteen."""
    sessions = create_session_factory(engine)
    case_id = uuid.uuid4()
    old = issued_under(earlier, case_id)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO eligibility.case_progress (case_id, latest_version) VALUES (:id, 1);"
            ).bindparams(id=case_id)
        )
        await conn.execute(
            text(
                "INSERT INTO eligibility.recommendations"
                " (case_id, case_version, ruleset_version, urgency, content, evaluated_at)"
                " VALUES (:id, 1, :ruleset, :urgency, CAST(:content AS jsonb), :at)"
            ),
            {
                "id": case_id,
                "ruleset": earlier,
                "urgency": old["urgency"],
                "content": json.dumps(old),
                "at": datetime(2026, 11, 20, tzinfo=UTC),
            },
        )

    await apply_in_one_batch(sessions, deliveries([(0, EventType.case_submitted, 1)], [case_id]))
    [result] = await outcome(engine, [case_id])
    assert result == {"announced": [], "stored": [1], "progress": (1, False)}
    kept = await latest_recommendation(SessionUnitOfWork(sessions), case_id)
    assert kept.model_dump(mode="json") == {"discussion": None, "discussion_reasons": [], **old}
    assert [t.code for t in kept.therapies][-1] == "thermal_ablation"

    await apply_in_one_batch(sessions, deliveries([(0, EventType.case_updated, 2)], [case_id]))
    [result] = await outcome(engine, [case_id])
    assert result == {
        "announced": [(EventType.recommendation_issued.value, 2)],
        "stored": [1, 2],
        "progress": (2, False),
    }
    latest = await latest_recommendation(SessionUnitOfWork(sessions), case_id)
    assert (latest.case_version, latest.ruleset_version) == (2, RULESET_VERSION) == (2, "2027.01")
    assert [t.code for t in latest.therapies] == list(TherapyCode)
    assert latest.discussion == Discussion.full
    # the test case has no metastasis count and a painful spine lesion with collapse (SINS 9)
    assert latest.discussion_reasons == [
        "urgency_urgent",
        "insufficient_data",
        "surgery_consider",
        "stereotactic_body_radiotherapy_insufficient_data",
        "vertebral_augmentation_consider",
        "sins_ge_7",
    ]
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT case_version, ruleset_version, content ->> 'discussion',"
                    " jsonb_array_length(content -> 'therapies') FROM eligibility.recommendations"
                    " WHERE case_id = :id ORDER BY case_version"
                ),
                {"id": case_id},
            )
        ).all()
        announced = (
            await conn.execute(
                text("SELECT value FROM eligibility.outbox WHERE key = :key ORDER BY id"),
                {"key": str(case_id)},
            )
        ).scalar_one()
    assert [tuple(row) for row in rows] == [
        (1, earlier, old.get("discussion"), 12),
        (2, "2027.01", "full", 14),
    ]
    payload = json.loads(announced)["payload"]
    assert payload["discussion"] == "full" and payload["discussion_reasons"] == latest.discussion_reasons
