"""Where the time goes per case: py-spy samples each running service under a steady end-to-end load.

    .venv/bin/python -m bench.profile [--rate 60] [--seconds 20] [--intake-only]

Starts the three services on a fresh database and topic prefix (as `make bench` does), staffs clinicians,
drives a constant-rate load with vegeta, and records each service with `py-spy record --format raw`
(collapsed stacks, idle frames excluded). Writes bench/results/profile-<stamp>/<service>.txt and prints, per
service, the share of samples by category (HTTP, validation, database, Kafka, rules, booking, tracing, ...)
and the hottest own-code frames. bench/PROFILE.md is the committed reading of it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from bench.kafka_tools import delete_topics_with_prefix, wait_drained
from bench.load import LoadGenerator, case_payloads
from bench.processes import (
    CpuMeter,
    PeakMemory,
    cpu_per_case,
    service_env,
    staff_clinicians,
    start_many,
    stop_all,
)
from tests.support.database import run_database
from tests.support.services import TEST_TOKENS, Pipeline

ROOT = Path(__file__).resolve().parents[1]
PY_SPY = ROOT / ".venv" / "bin" / "py-spy"

# First match wins, checked against the whole collapsed stack from the leaf upwards.
CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("tracing (opentelemetry)", ("opentelemetry/",)),
    ("metrics (prometheus)", ("prometheus_client/",)),
    ("JSON (orjson/json)", ("orjson", "json/encoder", "json/decoder", "json/__init__")),
    ("validation (pydantic)", ("pydantic/", "pydantic_core/", "fastapi/_compat", "fastapi/encoders")),
    ("rules engine (eligibility domain)", ("services/eligibility/domain/",)),
    ("slot search (scheduler domain)", ("services/scheduler/domain/",)),
    ("Kafka (aiokafka)", ("aiokafka/",)),
    ("database: asyncpg driver", ("asyncpg/",)),
    ("database: SQLAlchemy / SQLModel ORM", ("sqlalchemy/", "sqlmodel/", "greenlet")),
    ("HTTP (uvicorn/starlette/fastapi)", ("uvicorn/", "h11/", "httptools", "starlette/", "fastapi/")),
    ("event loop / asyncio", ("asyncio/", "uvloop")),
]


def categorize(stack: str) -> str:
    frames = stack.split(";")
    for frame in reversed(frames):
        for name, needles in CATEGORIES:
            if any(n in frame for n in needles):
                return name
        if "/services/" in frame or "/shared/" in frame:
            return "own code: " + frame.split("(")[0].strip()
    return "other"


def cpu_note(costs: dict[str, float]) -> str:
    total = costs.pop("total")
    lines = [f"CPU per accepted case (ms), whole machine ({os.cpu_count()} cores):"]
    lines += [f"  {cost:7.2f}  {name}" for name, cost in costs.items()]
    lines.append(
        f"  {total:7.2f}  total -> at most {1000 * (os.cpu_count() or 1) / max(total, 1e-9):.0f} cases/s"
    )
    return "\n".join(lines)


def summarize(path: Path, top: int = 12) -> str:
    by_category: Counter[str] = Counter()
    own_frames: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        by_category[categorize(stack)] += count
        for frame in reversed(stack.split(";")):
            if "/services/" in frame or "/shared/" in frame:
                own_frames[frame.strip()] += count
                break
    lines = [f"{path.stem}: {total} samples (active, idle excluded)"]
    for name, count in by_category.most_common(top):
        lines.append(f"  {100 * count / max(total, 1):5.1f}%  {name}")
    lines.append("  innermost own-code frame of each sample:")
    for frame, count in own_frames.most_common(top):
        lines.append(f"  {100 * count / max(total, 1):5.1f}%  {frame}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clinicians", type=int, default=350)
    parser.add_argument("--intake-only", action="store_true")
    parser.add_argument(
        "--cpu-only", action="store_true", help="no py-spy: CPU time per case only, without sampling overhead"
    )
    args = parser.parse_args()
    admin_url = os.environ.get(
        "DATABASE_URL", "postgresql+asyncpg://bonemets:bonemets@127.0.0.1:5432/bonemets"
    )
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / f"profile-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:8]
    prefix = f"bench-{run_id}-profile-"
    memory = PeakMemory()
    cost_note = "CPU per case: not measured (the run failed)"
    with ExitStack() as stack:
        url = stack.enter_context(run_database(admin_url, f"bench_{run_id}"))
        pipeline = Pipeline(env=service_env(url, kafka, prefix), log_dir=out)
        names = ["intake"] if args.intake_only else ["intake", "eligibility", "scheduler"]
        try:
            start_many(pipeline, [(n, n) for n in names])
            if not args.intake_only:
                asyncio.run(staff_clinicians(pipeline.url("scheduler"), args.clinicians))
            load = LoadGenerator(out, TEST_TOKENS["integration"])
            target = f"{pipeline.url('intake')}/v1/cases"
            load.attack("warm", target, case_payloads(f"{run_id}-warm", 200), rate=50, seconds=3)
            pids = {n: [pipeline.services[n].process.pid] for n in names}
            spies = [
                subprocess.Popen(
                    [
                        str(PY_SPY),
                        "record",
                        "--format",
                        "raw",
                        "--rate",
                        "200",
                        "--duration",
                        str(args.seconds),
                        "--pid",
                        str(pipeline.services[n].process.pid),
                        "--output",
                        str(out / f"{n}.txt"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for n in names
                if not args.cpu_only
            ]
            time.sleep(0.5)
            meter = CpuMeter(pids, url, kafka)
            before = meter.snapshot()
            attack = load.attack(
                "load",
                target,
                case_payloads(f"{run_id}-load", args.rate * args.seconds + 10),
                rate=args.rate,
                seconds=args.seconds,
            )
            if not args.intake_only:  # every accepted case through the scheduler, then intake's consumer
                drained = asyncio.run(wait_drained(kafka, prefix, limit_s=120))
                print(f"drained {drained:.1f} s after the load", file=sys.stderr)
            time.sleep(2)
            after = meter.snapshot()
            for spy in spies:
                spy.wait(timeout=args.seconds + 60)
            print(f"load: {attack.summary()}", file=sys.stderr)
            cost_note = cpu_note(cpu_per_case(before, after, attack.codes.get("202", 0)))
        finally:
            stop_all(pipeline, memory)
            # A broker's idle cost grows with its topics.
            asyncio.run(delete_topics_with_prefix(kafka, prefix))
    for n in names:
        path = out / f"{n}.txt"
        if path.exists():
            print(summarize(path))
    print(cost_note)
    print(f"peak RSS MB: {memory.by_service}\nraw stacks: {out}")


if __name__ == "__main__":
    main()
