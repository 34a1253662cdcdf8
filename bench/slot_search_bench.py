"""Median time of `find_earliest_slot` on 500 clinicians x 90 days of availability.

Run from the repository root:  .venv/bin/python -m bench.slot_search_bench
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from services.scheduler.domain import ClinicianCalendar, Interval, find_earliest_slot
from shared.contracts.codes import Specialty

CLINICIANS = 500
DAYS = 90
RUNS = 7
START = datetime(2025, 1, 6, tzinfo=UTC)


def build_calendars(seed: int = 7, *, blocked_until_day: int = 0) -> list[ClinicianCalendar]:
    """500 clinicians over the 7 specialties, a daily 08:00-16:00Z window each, 0-4 bookings a day.

    With `blocked_until_day`, every physiatrist is busy all day until that day, so the common slot is late.
    """
    rng = random.Random(seed)
    specialties = list(Specialty)
    calendars = []
    for clinician_id in range(1, CLINICIANS + 1):
        specialty = specialties[clinician_id % len(specialties)]
        windows = []
        busy = []
        for day in range(DAYS):
            opens = START + timedelta(days=day, hours=8)
            windows.append(Interval(opens, opens + timedelta(hours=8)))
            if specialty is Specialty.physiatry and day < blocked_until_day:
                busy.append(Interval(opens, opens + timedelta(hours=8)))
                continue
            for _ in range(rng.randint(0, 4)):
                begin = opens + timedelta(minutes=15 * rng.randrange(32))
                busy.append(Interval(begin, begin + timedelta(minutes=rng.choice((30, 45, 60)))))
        calendars.append(
            ClinicianCalendar(
                clinician_id=clinician_id,
                name=f"Clinician {clinician_id}",
                specialty=specialty,
                windows=windows,
                busy=busy,
                bookings_next_14_days=rng.randrange(20),
            )
        )
    return calendars


def median_seconds(calendars: list[ClinicianCalendar]) -> tuple[float, datetime | None]:
    timings = []
    found = None
    for _ in range(RUNS):
        began = time.perf_counter()
        choice = find_earliest_slot(
            calendars,
            set(Specialty),
            not_before=START + timedelta(minutes=7),
            deadline=START + timedelta(days=DAYS),
        )
        timings.append(time.perf_counter() - began)
        found = choice.start if choice else None
    return statistics.median(timings), found


def main() -> None:
    for label, blocked in (("typical", 0), ("physiatry blocked until day 85", 85)):
        calendars = build_calendars(blocked_until_day=blocked)
        windows = sum(len(c.windows) for c in calendars)
        busy = sum(len(c.busy) for c in calendars)
        seconds, found = median_seconds(calendars)
        print(
            f"{label}: {CLINICIANS} clinicians, {windows} windows, {busy} busy intervals, all 7 specialties: "
            f"median {seconds * 1000:.1f} ms over {RUNS} runs, earliest slot {found}"
        )


if __name__ == "__main__":
    main()
