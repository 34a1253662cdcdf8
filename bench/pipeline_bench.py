"""`make bench`: the pipeline against its physical limits, on this machine, in one run.

    .venv/bin/python -m bench.pipeline_bench [--mode quick|full]      (make bench [BENCH=full])

A fresh database (dropped afterwards) and topic prefix per run, so the shared dev data is never touched;
Kafka and PostgreSQL are the ones `make run` uses (DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS from
deploy/local/env.sh). The services run as `make run` runs them (uvicorn with uvloop, default pool sizes).
Phases, each with a topic prefix of its own:
  limits   raw aiokafka produce->consume of 2 KB records (1 partition, 6 = all of a pipeline topic), raw
           asyncpg single-row insert+commit, an empty FastAPI endpoint under the same load generator;
  intake   intake alone (eligibility and scheduler stopped, so they take no CPU): saturation, then latency
           at 25/50/80 % of it (open loop); saturation again with tracing exported to a no-op OTLP sink;
  e2e      the three services: submission -> booking.confirmed at a steady rate, then higher rates to find
           the highest one at which consumer lag stays bounded;
  drain    a backlog of case.submitted events put on the topic while eligibility and scheduler are
           stopped; eligibility drains it alone, then the scheduler books what it produced;
  scale    the drain at 1, 2, 4 instances per consumer group and with 50 vs 500 clinicians, and with one
           instance of CONSUMER_PROCESSES=2 (shared/serve.py: two group members in one service);
  placements  urgent and routine recommendations already on the topic, placed by one scheduler into a year
           of weekly meetings of 3 teams (meetings.md §2) as `drain_placements_per_s`; the huddle drain
           above stays `drain_scheduler_bps`.
Writes bench/results/<timestamp>.json and .md and bench/results/latest.json; prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import limits
from bench.kafka_tools import (
    Offsets,
    create_prefix_topics,
    delete_topics_with_prefix,
    pipeline_lag,
    produce_case_backlog,
    produce_recommendation_backlog,
    read_bookings,
)
from bench.load import Attack, LoadGenerator, case_payloads
from bench.processes import (
    CpuMeter,
    PeakMemory,
    cpu_per_case,
    empty_fastapi,
    noop_otlp_sink,
    service_env,
    service_roots,
    staff_clinicians,
    staff_meeting_teams,
    start_many,
    stop_all,
)
from bench.report import evaluate_targets, markdown, write_report
from shared.contracts.events import Topic
from tests.support.database import _asyncpg_dsn, run_database
from tests.support.services import TEST_TOKENS, Pipeline

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Plan:
    mode: str
    kafka_records: int
    pg_seconds: float
    sat_seconds: float
    pct_seconds: float
    e2e_rate: int
    e2e_seconds: float
    step_rates: tuple[int, ...]
    step_seconds: float
    drain_events: int
    clinicians: int
    scale: tuple[tuple[int, int, int], ...]  # (instances, clinicians, events)
    # (consumer processes of one instance, clinicians, events)
    scale_processes: tuple[tuple[int, int, int], ...] = ((2, 350, 400),)
    placement_events: int = 600


QUICK = Plan(
    mode="quick",
    kafka_records=20_000,
    pg_seconds=3,
    sat_seconds=4,
    pct_seconds=4,
    e2e_rate=100,
    e2e_seconds=5,
    step_rates=(250, 500),
    step_seconds=5,
    drain_events=3_000,
    clinicians=350,  # 50 per specialty, 3 days: room for ~7,000 urgent bookings of six specialties
    scale=((2, 350, 2_000),),
    scale_processes=((2, 350, 2_000),),
)
FULL = Plan(
    mode="full",
    kafka_records=100_000,
    pg_seconds=10,
    sat_seconds=15,
    pct_seconds=15,
    e2e_rate=100,
    e2e_seconds=30,
    step_rates=(200, 300, 400, 500, 750),
    step_seconds=15,
    drain_events=20_000,
    clinicians=1_050,  # 150 per specialty: room for 20,000 urgent (72 h) bookings of six specialties
    scale=tuple((n, c, 3_000) for c in (50, 500) for n in (1, 2, 4)),
    placement_events=5_000,
)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def machine() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kb = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "cpu_model": model,
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


class Bench:
    def __init__(
        self,
        plan: Plan,
        database_url: str,
        kafka: str,
        run_id: str,
        work: Path,
        admin_url: str,
        stack: ExitStack,
    ) -> None:
        self.plan = plan
        self.admin_url = admin_url
        self.stack = stack
        self.database_url = database_url
        self.kafka = kafka
        self.run_id = run_id
        self.work = work
        self.load = LoadGenerator(work, TEST_TOKENS["integration"])
        self.memory = PeakMemory()
        self.results: dict[str, Any] = {}
        self.staffed = False

    def prefix(self, phase: str) -> str:
        return f"bench-{self.run_id}-{phase}-"

    def pipeline(self, prefix: str, **env: Any) -> Pipeline:
        return Pipeline(env=service_env(self.database_url, self.kafka, prefix, **env), log_dir=self.work)

    def bodies(self, tag: str, count: int) -> list[bytes]:
        return case_payloads(f"{self.run_id}-{tag}", count)

    # --- limits ------------------------------------------------------------------------------------------
    def measure_limits(self) -> None:
        p = self.plan
        log(f"limits: raw Kafka produce->consume, {p.kafka_records} records of 2 KB")
        kafka = {
            f"{n}p": asyncio.run(
                limits.kafka_produce_consume(self.kafka, self.prefix("raw") + f"{n}p", n, p.kafka_records)
            )
            for n in (1, 6)
        }
        log("limits: raw asyncpg insert+commit")
        dsn = _asyncpg_dsn(self.database_url)
        pg = {f"{n}conn": asyncio.run(limits.pg_insert_commit(dsn, p.pg_seconds, n)) for n in (1, 16)}
        log("limits: empty FastAPI endpoint")
        with empty_fastapi(self.work) as app:
            url = f"{app.url}/v1/cases"
            sat = self.load.attack(
                "empty-sat",
                url,
                self.bodies("empty", 6_000 * int(p.sat_seconds)),
                rate=0,
                seconds=p.sat_seconds,
            )
        self.results["limits"] = {"kafka": kafka, "postgres": pg, "empty_fastapi": sat.summary()}
        self.results["kafka_raw_msgs_per_s"] = max(k["produce_consume_msgs_per_s"] for k in kafka.values())
        self.results["pg_raw_commits_per_s"] = max(v["commits_per_s"] for v in pg.values())
        self.results["empty_fastapi_rps"] = round(sat.accepted_per_s, 1)
        log(
            f"limits: kafka {self.results['kafka_raw_msgs_per_s']} msg/s, pg {self.results['pg_raw_commits_per_s']}"
            f" commits/s, empty FastAPI {self.results['empty_fastapi_rps']} req/s"
        )

    # --- intake ------------------------------------------------------------------------------------------
    def intake_saturation(self, tag: str, tracing: str | None) -> Attack:
        pipeline = self.pipeline(self.prefix(tag), tracing_endpoint=tracing)
        try:
            pipeline.start("intake")
            url = f"{pipeline.url('intake')}/v1/cases"
            # Warm-up: connection pool, first-request imports.
            self.load.attack(f"{tag}-warm", url, self.bodies(f"{tag}-warm", 400), rate=200, seconds=2)
            count = int(3_000 * self.plan.sat_seconds)
            sat = self.load.attack(
                f"{tag}-sat", url, self.bodies(f"{tag}-sat", count), rate=0, seconds=self.plan.sat_seconds
            )
            if tracing is None:
                self.results["intake_runs"] = {"saturation": sat.summary()}
                for share in (25, 50, 80):
                    rate = max(int(sat.accepted_per_s * share / 100), 1)
                    attack = self.load.attack(
                        f"{tag}-{share}",
                        url,
                        self.bodies(f"{tag}-{share}", int(rate * self.plan.pct_seconds) + 10),
                        rate=rate,
                        seconds=self.plan.pct_seconds,
                    )
                    self.results["intake_runs"][f"at_{share}pct"] = attack.summary()
                    log(
                        f"intake at {share}% ({rate}/s): p50 {attack.p50_ms:.1f} p95 {attack.p95_ms:.1f}"
                        f" p99 {attack.p99_ms:.1f} ms, {attack.accepted_per_s:.0f}/s accepted"
                    )
        finally:
            stop_all(pipeline, self.memory)
        return sat

    def measure_intake(self) -> None:
        log("intake alone: saturation and latency at 25/50/80 % (tracing off)")
        off = self.intake_saturation("intake", None)
        log(f"intake saturation (tracing off): {off.accepted_per_s:.0f} cases/s")
        with noop_otlp_sink() as (endpoint, counts):
            on = self.intake_saturation("traced", endpoint)
        log(f"intake saturation (tracing on, OTLP to a no-op sink): {on.accepted_per_s:.0f} cases/s")
        runs = self.results["intake_runs"]
        self.results["intake_saturation_rps"] = round(off.accepted_per_s, 1)
        self.results["intake_p99_ms_at_50pct"] = runs["at_50pct"]["p99_ms"]
        self.results["tracing"] = {
            "intake_saturation_rps_tracing_off": round(off.accepted_per_s, 1),
            "intake_saturation_rps_tracing_on": round(on.accepted_per_s, 1),
            "on_over_off": round(on.accepted_per_s / off.accepted_per_s, 3) if off.accepted_per_s else None,
            "otlp_exports_received": counts["requests"],
            "otlp_bytes_received": counts["bytes"],
        }

    # --- end to end --------------------------------------------------------------------------------------
    async def watch_lag(self, prefix: str, seconds: float, settle: float) -> dict[str, Any]:
        """Samples the groups' lag during a load run and after it; bounded = back near zero after `settle`."""
        samples: list[int] = []
        async with Offsets(self.kafka) as offsets:
            loop = asyncio.get_running_loop()
            end = loop.time() + seconds
            while loop.time() < end:
                lag = await pipeline_lag(offsets, prefix)
                samples.append(sum(lag.values()))
                await asyncio.sleep(0.5)
            deadline = loop.time() + settle
            while True:
                lag = await pipeline_lag(offsets, prefix)
                if sum(lag.values()) <= 10 or loop.time() > deadline:
                    break
                await asyncio.sleep(0.5)
            drained_after = round(settle - (deadline - loop.time()), 1)
        return {"max_lag": max(samples or [0]), "lag_after": lag, "drained_after_s": drained_after}

    def run_at(self, pipeline: Pipeline, prefix: str, tag: str, rate: int, seconds: float) -> dict[str, Any]:
        url = f"{pipeline.url('intake')}/v1/cases"
        bodies = self.bodies(tag, int(rate * seconds) + 10)

        async def both() -> tuple[Attack, dict[str, Any]]:
            watcher = asyncio.create_task(self.watch_lag(prefix, seconds, settle=10.0))
            attack = await asyncio.to_thread(
                self.load.attack, tag, url, bodies, rate=rate, seconds=seconds, keep_submissions=True
            )
            return attack, await watcher

        meter = CpuMeter(service_roots(pipeline), pipeline.env["DATABASE_URL"], self.kafka)
        before = meter.snapshot()
        attack, lag = asyncio.run(both())
        # From the load's start until the groups' lag is back near zero (or the settle time is up).
        cpu = cpu_per_case(before, meter.snapshot(), attack.codes.get("202", 0))
        self.memory.sample(pipeline)
        bookings = asyncio.run(read_bookings(self.kafka, prefix))
        confirmed: dict[str, int] = {}
        for booking in bookings:
            if booking.event_type == "booking.confirmed":
                confirmed.setdefault(booking.case_id, booking.timestamp_ms)
        decided = {b.case_id for b in bookings}
        latencies = sorted(
            confirmed[case_id] - sent * 1000 for sent, case_id in attack.submissions if case_id in confirmed
        )
        ours = {case_id for _, case_id in attack.submissions}
        if latencies:
            span_s = (max(confirmed[c] for c in ours if c in confirmed) / 1000) - min(
                s for s, _ in attack.submissions
            )
        else:
            span_s = 0.0
        # Bounded lag: never more than one second's worth of arrivals waiting, and gone within 3 s of the
        # load's end. (Drained-after-the-load alone calls a growing backlog "kept up" in a 5-second run.)
        kept_up = (
            len(ours & decided) >= 0.99 * len(ours)
            and lag["drained_after_s"] <= 3.0
            and lag["max_lag"] <= max(rate, 10)
            and attack.accepted_per_s >= 0.95 * rate
        )
        result = {
            "rate": rate,
            "seconds": seconds,
            "submitted": len(ours),
            "intake": attack.summary(),
            "booked_confirmed": len(ours & set(confirmed)),
            "decided": len(ours & decided),
            "bookings_per_s": round(len(ours & set(confirmed)) / span_s, 1) if span_s else 0.0,
            "e2e_p50_ms": _pct(latencies, 0.50),
            "e2e_p95_ms": _pct(latencies, 0.95),
            "e2e_p99_ms": _pct(latencies, 0.99),
            "e2e_max_ms": round(latencies[-1], 1) if latencies else None,
            **lag,
            "kept_up": kept_up,
            "cpu_ms_per_case": cpu,
        }
        log(
            f"e2e at {rate}/s: {result['booked_confirmed']}/{len(ours)} confirmed, p50 {result['e2e_p50_ms']}"
            f" p95 {result['e2e_p95_ms']} p99 {result['e2e_p99_ms']} ms, max lag {lag['max_lag']},"
            f" drained {lag['drained_after_s']} s after the load: {'kept up' if kept_up else 'fell behind'};"
            f" CPU {cpu['total']} ms per case (whole machine)"
        )
        return result

    def e2e_at(self, rate: int, seconds: float) -> dict[str, Any]:
        """The three services on a prefix of their own (no backlog left by an earlier rate), one load run."""
        prefix = self.prefix(f"e2e{rate}")
        pipeline = self.pipeline(prefix)
        try:
            start_many(
                pipeline, [("intake", "intake"), ("eligibility", "eligibility"), ("scheduler", "scheduler")]
            )
            self.run_at(pipeline, prefix, f"e2e{rate}-warm", 20, 1)
            return self.run_at(pipeline, prefix, f"e2e{rate}", rate, seconds)
        finally:
            stop_all(pipeline, self.memory)

    def measure_e2e(self) -> None:
        self.ensure_staffed()
        steady = self.e2e_at(self.plan.e2e_rate, self.plan.e2e_seconds)
        steps = [steady]
        # Above intake's saturation, or above the slower drain rate, the pipeline cannot keep up by
        # construction: try the plan's rates up to those, and 80 % of the bottleneck.
        ceilings = [
            float(self.results[k])
            for k in ("intake_saturation_rps", "drain_eligibility_eps", "drain_scheduler_bps")
            if self.results.get(k)
        ]
        ceiling = min(ceilings) if ceilings else 1e9
        rates = sorted(
            {r for r in self.plan.step_rates if r <= ceiling} | ({int(0.8 * ceiling)} if ceilings else set())
        )
        self.results["e2e_rates_skipped_above_bottleneck"] = [r for r in self.plan.step_rates if r > ceiling]
        for rate in [r for r in rates if r > 0 and r != self.plan.e2e_rate]:
            step = self.e2e_at(rate, self.plan.step_seconds)
            steps.append(step)
            if not step["kept_up"]:
                break
        # Nothing kept up: halve the lowest rate tried until one does, so that the report has the rate the
        # pipeline sustains rather than only the rates it does not.
        while not any(s["kept_up"] for s in steps):
            rate = min(s["rate"] for s in steps) // 2
            if rate < 5:
                break
            steps.append(self.e2e_at(rate, self.plan.step_seconds))
        # One bisection step between the highest rate that kept up and the lowest above it that did not,
        # when they are far apart (the halving above leaves a factor of two).
        kept_rates = [s["rate"] for s in steps if s["kept_up"]]
        if kept_rates:
            low = max(kept_rates)
            higher = [s["rate"] for s in steps if not s["kept_up"] and s["rate"] > low]
            if higher and min(higher) - low > 0.2 * low:
                steps.append(self.e2e_at((low + min(higher)) // 2, self.plan.step_seconds))
        self.results["e2e_runs"] = steps
        self.results["e2e_p50_ms_at_100rps"] = steady["e2e_p50_ms"]
        self.results["e2e_p95_ms_at_100rps"] = steady["e2e_p95_ms"]
        self.results["e2e_p99_ms_at_100rps"] = steady["e2e_p99_ms"]
        by_process = dict(steady["cpu_ms_per_case"])
        self.results["cpu_ms_per_case_at_100rps"] = by_process.pop("total")
        self.results["cpu_ms_per_case_by_process"] = by_process
        self.results["cpu_ms_per_case_note"] = (
            f"user+system CPU of every service process (with its children), every postgres process and Kafka's"
            f" JVM, from the start of the {steady['rate']}/s load until the lag is back near zero, per accepted"
            " case (bench.profile --cpu-only measures the same over a longer run)"
        )
        kept = [s["rate"] for s in steps if s["kept_up"]]
        self.results["e2e_max_rps"] = max(kept) if kept else 0
        self.results["e2e_max_rps_note"] = (
            "highest offered rate (of those tried) at which every case was decided, both groups' lag stayed"
            " under one second's arrivals and was back under 10 records within 3 s of the load ending;"
            " 0 = none of the rates tried"
        )

    # --- backlog drain -----------------------------------------------------------------------------------
    async def wait_progress(
        self, offsets: Offsets, measure: Any, target: int, limit_s: float
    ) -> dict[str, Any]:
        """Polls `measure()` (a count) every 50 ms until it reaches target; rate over first progress -> done.
        A consumer commits once per applied poll, so a drain that takes only a few polls cannot be resolved:
        the quick plan's backlogs are large enough for many (600 events were three polls: it read 0, about
        1,000 or about 2,000 per second and nothing between)."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        first: tuple[float, int] | None = None
        value = 0
        while loop.time() - began < limit_s:
            value = await measure()
            now = loop.time()
            if first is None and value > 0:
                first = (now, value)
            if value >= target:
                break
            await asyncio.sleep(0.05)
        done = loop.time()
        if first is None:
            return {"count": value, "per_s": 0.0, "seconds": None, "complete": False}
        # The first sample already holds what was done before it; count the rate from there on.
        seconds = done - first[0]
        rate = (value - first[1]) / seconds if seconds > 0 else 0.0
        return {
            "count": value,
            "per_s": round(rate, 1),
            "seconds": round(done - began, 1),
            "complete": value >= target,
        }

    def drain(
        self,
        tag: str,
        events: int,
        instances: int,
        database_url: str | None = None,
        consumer_processes: int = 1,
    ) -> dict[str, Any]:
        """The backlog drain; `consumer_processes` > 1 runs each instance through shared/serve.py with that
        many consumer processes (and one API worker)."""
        prefix = self.prefix(tag)
        url = database_url or self.database_url
        pipeline = Pipeline(env=service_env(url, self.kafka, prefix), log_dir=self.work)
        processes = (1, consumer_processes) if consumer_processes > 1 else None
        case_topic = prefix + Topic.case_events.value
        recommendation_topic = prefix + Topic.therapy_recommendations.value
        booking_topic = prefix + Topic.mdt_bookings.value
        try:
            asyncio.run(create_prefix_topics(self.kafka, prefix))
            produce_s = asyncio.run(
                produce_case_backlog(
                    self.kafka, case_topic, [orjson.loads(b) for b in self.bodies(tag, events)]
                )
            )
            log(
                f"drain {tag}: {events} case events on the topic in {produce_s:.1f} s; starting eligibility x{instances}"
            )
            pipeline.start("intake")
            start_many(
                pipeline,
                [("eligibility", f"eligibility-{n}") for n in range(1, instances + 1)],
                processes=processes,
            )

            async def eligibility() -> dict[str, Any]:
                async with Offsets(self.kafka) as offsets:

                    async def evaluated() -> int:
                        return await offsets.committed_total(prefix + "eligibility", case_topic)

                    drained = await self.wait_progress(offsets, evaluated, events, limit_s=600)

                    async def published() -> int:
                        return await offsets.end_total(recommendation_topic)

                    await self.wait_progress(offsets, published, events, limit_s=120)
                    return drained

            elig = asyncio.run(eligibility())
            self.memory.sample(pipeline)
            log(f"drain {tag}: eligibility {elig['per_s']} events/s; starting scheduler x{instances}")
            start_many(
                pipeline,
                [("scheduler", f"scheduler-{n}") for n in range(1, instances + 1)],
                processes=processes,
            )

            async def scheduler() -> dict[str, Any]:
                async with Offsets(self.kafka) as offsets:

                    async def booked() -> int:
                        return await offsets.end_total(booking_topic)

                    return await self.wait_progress(offsets, booked, events, limit_s=900)

            sched = asyncio.run(scheduler())
            self.memory.sample(pipeline)
            bookings = asyncio.run(read_bookings(self.kafka, prefix))
        finally:
            stop_all(pipeline, self.memory)
        statuses: dict[str, int] = {}
        for booking in bookings:
            statuses[booking.status] = statuses.get(booking.status, 0) + 1
        result = {
            "events": events,
            "instances": instances,
            "consumer_processes": consumer_processes,
            "eligibility": elig,
            "scheduler": sched,
            "booking_statuses": statuses,
        }
        log(f"drain {tag}: scheduler {sched['per_s']} bookings/s, statuses {statuses}")
        return result

    def ensure_staffed(self) -> None:
        """The run's own database, staffed once, for the end-to-end runs (drain and scale have their own)."""
        if self.staffed:
            return
        pipeline = Pipeline(
            env=service_env(self.database_url, self.kafka, self.prefix("staff")), log_dir=self.work
        )
        try:
            pipeline.start("scheduler")
            asyncio.run(staff_clinicians(pipeline.url("scheduler"), self.plan.clinicians, days=3))
        finally:
            stop_all(pipeline, self.memory)
        self.staffed = True

    def measure_drain(self) -> None:
        # Each drain books into a database of its own: the full drain fills its clinicians' calendars, which
        # would leave nothing for the runs after it (end to end, scale).
        url = self.staffed_database(self.plan.clinicians, "drain")
        main = self.drain("drain", self.plan.drain_events, 1, url)
        self.results["drain"] = main
        self.results["drain_eligibility_eps"] = main["eligibility"]["per_s"]
        self.results["drain_scheduler_bps"] = main["scheduler"]["per_s"]

    def measure_placements(self) -> None:
        """Recommendations already on the topic, placed into a year of weekly meetings for 3 teams by one
        scheduler (meetings, late listings, urgent huddles, waitlist: whatever meetings.md §2 decides)."""
        events = self.plan.placement_events
        url = self.stack.enter_context(run_database(self.admin_url, f"bench_{self.run_id}_placements"))
        prefix = self.prefix("placements")
        recommendation_topic = prefix + Topic.therapy_recommendations.value
        pipeline = Pipeline(env=service_env(url, self.kafka, prefix), log_dir=self.work)
        try:
            asyncio.run(create_prefix_topics(self.kafka, prefix))
            pipeline.start("scheduler")
            meetings = asyncio.run(staff_meeting_teams(pipeline.url("scheduler")))
        finally:
            stop_all(pipeline, self.memory)
        produce_s = asyncio.run(produce_recommendation_backlog(self.kafka, recommendation_topic, events))
        log(f"placements: {meetings} meetings; {events} recommendations on the topic in {produce_s:.1f} s")
        pipeline = Pipeline(env=service_env(url, self.kafka, prefix), log_dir=self.work)
        try:
            pipeline.start("scheduler")

            async def placed() -> dict[str, Any]:
                async with Offsets(self.kafka) as offsets:
                    # committed recommendations, not booking events: a listing can re-announce others
                    async def consumed() -> int:
                        return await offsets.committed_total(prefix + "scheduler", recommendation_topic)

                    return await self.wait_progress(offsets, consumed, events, limit_s=900)

            result = asyncio.run(placed())
            self.memory.sample(pipeline)
            bookings = asyncio.run(read_bookings(self.kafka, prefix))
        finally:
            stop_all(pipeline, self.memory)
        statuses: dict[str, int] = {}
        for booking in bookings:
            statuses[booking.status] = statuses.get(booking.status, 0) + 1
        self.results["placements"] = {"events": events, "meetings": meetings, **result, "statuses": statuses}
        self.results["drain_placements_per_s"] = result["per_s"]
        log(f"placements: {result['per_s']} placements/s, statuses {statuses}")

    def measure_scale(self) -> None:
        runs = []
        for instances, clinicians, events in self.plan.scale:
            log(f"scale: {instances} instance(s) per group, {clinicians} clinicians, {events} events")
            url = self.staffed_database(clinicians, f"scale{instances}x{clinicians}")
            result = self.drain(f"scale{instances}x{clinicians}", events, instances, url)
            result["clinicians"] = clinicians
            runs.append(result)
        for processes, clinicians, events in self.plan.scale_processes:
            log(f"scale: 1 instance per group with {processes} consumer processes, {clinicians} clinicians")
            tag = f"processes{processes}x{clinicians}"
            url = self.staffed_database(clinicians, tag)
            result = self.drain(tag, events, 1, url, consumer_processes=processes)
            result["clinicians"] = clinicians
            runs.append(result)
        self.results["scale"] = runs

    def staffed_database(self, clinicians: int, tag: str) -> str:
        """A fresh database of its own (dropped at the end) with `clinicians` clinicians, free 3 days."""
        url = self.stack.enter_context(run_database(self.admin_url, f"bench_{self.run_id}_{tag}"))
        pipeline = Pipeline(env=service_env(url, self.kafka, self.prefix(f"staff-{tag}")), log_dir=self.work)
        try:
            pipeline.start("scheduler")
            asyncio.run(staff_clinicians(pipeline.url("scheduler"), clinicians, days=3))
        finally:
            stop_all(pipeline, self.memory)
        return url


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1], 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--mode", choices=("quick", "full"), default=os.environ.get("BENCH", "quick") or "quick"
    )
    parser.add_argument(
        "--only", default="", help="comma-separated phases (limits,intake,e2e,drain,placements,scale)"
    )
    args = parser.parse_args()
    plan = FULL if args.mode == "full" else QUICK
    phases = set(filter(None, args.only.split(","))) or {
        "limits",
        "intake",
        "e2e",
        "drain",
        "placements",
        "scale",
    }
    admin_url = os.environ.get(
        "DATABASE_URL", "postgresql+asyncpg://bonemets:bonemets@127.0.0.1:5432/bonemets"
    )
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    for endpoint in (kafka,):
        if not endpoint.startswith(("127.0.0.1:", "localhost:")):
            sys.exit(f"the benchmark loads loopback endpoints only, not {endpoint}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_id = uuid.uuid4().hex[:8]
    work = ROOT / ".local" / "bench" / stamp
    work.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    report: dict[str, Any] = {"mode": plan.mode, "started_at": stamp, "machine": machine()}
    log(f"{plan.mode} mode; run {run_id}; logs in {work}")
    with ExitStack() as stack:
        database_url = stack.enter_context(run_database(admin_url, f"bench_{run_id}"))
        bench = Bench(plan, database_url, kafka, run_id, work, admin_url, stack)
        report["load_generator"] = bench.load.name
        try:
            if "limits" in phases:
                bench.measure_limits()
            if "intake" in phases:
                bench.measure_intake()
            if "drain" in phases:
                bench.measure_drain()
            if "placements" in phases:
                bench.measure_placements()
            if "scale" in phases:
                bench.measure_scale()
            if "e2e" in phases:
                bench.measure_e2e()
        finally:
            removed = asyncio.run(delete_topics_with_prefix(kafka, f"bench-{run_id}-"))
            log(f"removed {removed} bench topics")
        report.update(bench.results)
        report["peak_rss_mb"] = {k: round(v, 1) for k, v in sorted(bench.memory.by_service.items())}
    report["guarantees"] = GUARANTEES
    report["targets"] = evaluate_targets(report)
    report["duration_s"] = round(time.monotonic() - began, 1)
    table = markdown(report)
    paths = write_report(RESULTS, stamp, report, table)
    print()
    print(table)
    print(f"\nreport: {paths[0]}  table: {paths[1]}  latest: {RESULTS / 'latest.json'}")


GUARANTEES = [
    "transactional outbox (state change and event in one transaction; relay marks rows sent after the ack)",
    "inbox (event ids recorded in the same transaction as the effect; redeliveries change nothing)",
    "manual offset commits after the database commit (auto-commit off)",
    "producer acks=all, enable_idempotence=True (a new producer after a failed delivery)",
    "fsync=on, synchronous_commit=on (PostgreSQL)",
    "tracing: not exported nor recorded (OTEL_TRACES_EXPORTER=none; W3C context still propagated) except in"
    " the tracing-on intake run (OTLP/HTTP to a local no-op sink)",
    "prometheus metrics on",
]


if __name__ == "__main__":
    main()
