"""Scheduler benchmark on a real PostgreSQL: 500 clinicians with 90 days of availability in a fresh database.

* slot search: `service.search_slots` (what `GET /v1/slots` runs) for a 3-5 specialty panel over 14 days;
* booking: 1,000 cases in a row through `service.book_recommendation`, each in its own transaction, as the
  consumer applies recommendation events.

Run from the repository root (needs the local PostgreSQL, `make run` or deploy/local):
    .venv/bin/python -m bench.scheduler_bench [--cases 1000] [--searches 200]
Prints a table and writes bench/results/scheduler.json. The database is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select

from services.scheduler import service
from services.scheduler.adapters.calendar_cache import CachedCalendars
from services.scheduler.adapters.tables import AvailabilityWindowRecord, BookingRecord, ClinicianRecord
from services.scheduler.domain import align_up
from services.scheduler.service import BookingPolicy
from shared.contracts.codes import Specialty, Urgency
from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.recommendation import Recommendation
from shared.db.engine import create_session_factory
from shared.db.unit_of_work import SessionUnitOfWork
from tests.support.database import run_database

ADMIN_URL = os.environ.get(
    "BENCH_ADMIN_DATABASE_URL", "postgresql+asyncpg://bonemets:bonemets@127.0.0.1:5432/bonemets"
)
CLINICIANS = 500
DAYS = 90
RESULTS = Path(__file__).parent / "results" / "scheduler.json"
# As the scheduler service runs it: with its in-memory calendars (services/scheduler/main.py).
POLICY = BookingPolicy(
    duration=timedelta(minutes=30), booking_topic="bench.mdt-bookings", calendars=CachedCalendars()
)
HOURS = {Urgency.emergency: 24, Urgency.urgent: 72, Urgency.routine: 336}


def panel(rng: random.Random) -> list[Specialty]:
    core = [Specialty.radiology, Specialty.radiation_oncology]
    others = [s for s in Specialty if s not in core]
    return sorted(core + rng.sample(others, rng.randint(1, 3)), key=lambda s: s.value)


async def seed(url: str, start: datetime) -> None:
    """500 clinicians over the 7 specialties, each available 08:00-18:00 UTC every day for 90 days."""
    engine = create_async_engine(url)
    specialties = list(Specialty)
    async with engine.begin() as connection:
        await connection.execute(
            insert(ClinicianRecord),
            [
                {
                    "name": f"Dr Bench {n}",
                    "specialty": specialties[n % len(specialties)].value,
                    "active": True,
                }
                for n in range(CLINICIANS)
            ],
        )
        day0 = start.replace(hour=0, minute=0, second=0, microsecond=0)
        rows = [
            {
                "clinician_id": clinician_id,
                "start": day0 + timedelta(days=day, hours=8),
                "end": day0 + timedelta(days=day, hours=18),
            }
            for clinician_id in range(1, CLINICIANS + 1)
            for day in range(DAYS)
        ]
        for offset in range(0, len(rows), 5000):
            await connection.execute(insert(AvailabilityWindowRecord), rows[offset : offset + 5000])
    async with engine.connect() as connection:
        # As autovacuum would after a bulk load: the planner needs the tables' statistics.
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("ANALYZE"))
    await engine.dispose()


def recommendation(case_id: uuid.UUID, urgency: Urgency, specialties: list[Specialty]) -> EventEnvelope:
    return EventEnvelope(
        event_type=EventType.recommendation_issued,
        case_id=case_id,
        case_version=1,
        payload={
            "case_id": str(case_id),
            "case_version": 1,
            "ruleset_version": "bench",
            "evaluated_at": datetime.now(UTC).isoformat(),
            "urgency": urgency.value,
            "book_within_hours": HOURS[urgency],
            "required_specialties": [s.value for s in specialties],
            "therapies": [],
            "scores": {},
            "alerts": [],
        },
    )


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
    }


async def measure(url: str, searches: int, cases: int) -> dict[str, Any]:
    engine = create_async_engine(url, pool_size=2)
    sessions = create_session_factory(engine)
    rng = random.Random(5)
    now = datetime.now(UTC)

    search_ms: list[float] = []
    for _ in range(searches):
        wanted = panel(rng)
        since = align_up(now + timedelta(hours=rng.randint(0, 24 * 60)))
        began = time.perf_counter()
        starts = await service.search_slots(
            SessionUnitOfWork(sessions),
            wanted,
            since=since,
            until=since + timedelta(days=14),
            duration=POLICY.duration,
        )
        search_ms.append((time.perf_counter() - began) * 1000)
        assert starts, "the seeded clinic always has slots"

    booking_ms: list[float] = []
    urgencies = [Urgency.routine] * 6 + [Urgency.urgent] * 3 + [Urgency.emergency]
    began_all = time.perf_counter()
    for _ in range(cases):
        envelope = recommendation(uuid.uuid4(), rng.choice(urgencies), panel(rng))
        parsed = Recommendation.model_validate(envelope.payload)  # as the consumer does, before the handler
        began = time.perf_counter()
        async with sessions() as session, session.begin():
            await service.book_recommendation(session, envelope, parsed, POLICY)
        booking_ms.append((time.perf_counter() - began) * 1000)
    total_s = time.perf_counter() - began_all

    async with sessions() as session:
        statuses: dict[str, int] = {}
        for booking in (await session.exec(select(BookingRecord))).all():
            statuses[booking.status] = statuses.get(booking.status, 0) + 1
    await engine.dispose()
    return {
        "clinicians": CLINICIANS,
        "days_of_availability": DAYS,
        "slot_search": {"runs": searches, "horizon_days": 14, **summary(search_ms)},
        "booking": {
            "cases": cases,
            "total_s": round(total_s, 2),
            "cases_per_s": round(cases / total_s, 1),
            **summary(booking_ms),
            "statuses": statuses,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args()
    name = f"bonemets_bench_{uuid.uuid4().hex[:8]}"
    with run_database(ADMIN_URL, name) as url:
        began = time.perf_counter()
        asyncio.run(seed(url, datetime.now(UTC)))
        seeded_s = time.perf_counter() - began
        result = asyncio.run(measure(url, args.searches, args.cases))
    result["seed_s"] = round(seeded_s, 2)
    result["measured_at"] = datetime.now(UTC).isoformat()
    search, booking = result["slot_search"], result["booking"]
    print(
        f"scheduler benchmark: {CLINICIANS} clinicians, {DAYS} days of availability (seeded in {seeded_s:.1f} s)"
    )
    print(f"{'':24}{'runs':>8}{'median ms':>12}{'p95 ms':>10}{'max ms':>10}{'per s':>10}")
    print(
        f"{'slot search (14 days)':24}{search['runs']:>8}{search['median_ms']:>12}{search['p95_ms']:>10}"
        f"{search['max_ms']:>10}{'':>10}"
    )
    print(
        f"{'book a case':24}{booking['cases']:>8}{booking['median_ms']:>12}{booking['p95_ms']:>10}"
        f"{booking['max_ms']:>10}{booking['cases_per_s']:>10}"
    )
    print(f"{booking['cases']} cases in {booking['total_s']} s; statuses {booking['statuses']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
