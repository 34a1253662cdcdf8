"""The fault suite: cases keep arriving while services are killed, the broker and the database go away,
records are duplicated or poisoned, and consumer-group members die. After each fault, once the pipeline is
quiet: every accepted case has exactly one recommendation per case version and exactly one open booking or
waitlist entry, no clinician is double-booked, nothing was published twice, and no accepted request got a 5xx
(a refused one may: the referrer retries it). Each fault runs on a stream of CASES_PER_FAULT cases at RATE;
the report (conftest.py) gives lost, duplicated, the time to recover and the time to drain."""

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Callable

import pytest

from shared.contracts.events import EventEnvelope, EventType
from shared.kafka.dead_letters import read_dead_letters
from shared.settings import ServiceSettings
from tests.faults.conftest import REPORT, FaultBench, FaultOutcome
from tests.support.invariants import SettleWatch, wait_until_quiet
from tests.support.kafka import produce, read_topic
from tests.support.streaming import CaseStream

pytestmark = pytest.mark.faults

CASES_PER_FAULT = int(os.environ.get("FAULT_CASES", "3000"))
# Offered cases per second: the highest end-to-end rate with bounded lag that `make bench` reports on an idle
# 2-core machine (100/s in the sixth session; 175/s in the fifth). On a slower or loaded machine the pipeline
# falls behind while the stream lasts and drains after it: allowed (nothing may be lost or duplicated; the
# report gives the rate achieved, the largest backlog and the time to drain). Never below 100.
RATE = max(100.0, float(os.environ.get("FAULT_RATE", "100")))
FAULT_AFTER_SECONDS = 7.0  # the fault hits the stream well after its start


def restart(bench: FaultBench, key: str, sig: int) -> None:
    service = bench.pipeline.services[key]
    bench.pipeline.stop(key, sig)
    bench.pipeline.start(key.split("-")[0], instance=key, port=service.port)


def _since(moment: float | None, origin: float) -> float | None:
    return None if moment is None else max(0.0, moment - origin)


def run_fault(bench: FaultBench, name: str, fault: Callable[[], None]) -> None:
    stream = CaseStream(bench.pipeline.url("intake"), rate_per_second=RATE)
    watch = SettleWatch(bench.infra.database_url, stream.snapshot)
    stream.start(CASES_PER_FAULT)
    watch.start()
    try:
        time.sleep(FAULT_AFTER_SECONDS)
        fault()
        fault_over = time.monotonic()
        stream.join()
        watch.wait()
    except BaseException:
        stream.stop()
        raise
    finally:
        watch.stop()
    accepted = stream.snapshot()
    last_accepted = max(stream.accepted_at.values(), default=fault_over)
    state = wait_until_quiet(bench.infra.database_url, accepted)
    lost = (len(accepted) - state.cases_settled) + state.missing_recommendations
    duplicated = state.duplicate_recommendations + state.duplicate_booking_events
    REPORT.append(
        FaultOutcome(
            name,
            len(accepted),
            RATE,
            last_accepted - stream.started_at,
            sum(stream.refusals.values()),
            lost,
            duplicated,
            watch.most_unsettled,
            _since(watch.last_settled(stream.accepted_by(fault_over)), fault_over),
            _since(watch.last_settled(accepted), last_accepted),
        )
    )

    assert stream.unexpected == [], stream.unexpected[:3]
    assert len(accepted) == CASES_PER_FAULT
    settled = (
        state.cases_settled == len(accepted)
        and state.pending_outbox == 0
        and state.missing_recommendations == 0
        and state.duplicate_recommendations == 0
        and state.cases_without_one_open_booking == 0
        and state.overlapping_participations == 0
    )
    assert settled, f"{state}\n{bench.pipeline.warnings_digest()}"


def test_sigkill_each_service_mid_stream(fault_bench: FaultBench) -> None:
    def kill_all() -> None:
        for key in ("intake", "eligibility", "scheduler"):
            restart(fault_bench, key, signal.SIGKILL)
            time.sleep(0.5)

    run_fault(fault_bench, "SIGKILL intake, eligibility, scheduler", kill_all)


def test_sigterm_each_service_under_load(fault_bench: FaultBench) -> None:
    def stop_all() -> None:
        for key in ("intake", "eligibility", "scheduler"):
            restart(fault_bench, key, signal.SIGTERM)

    run_fault(fault_bench, "SIGTERM (graceful) each service", stop_all)


def broker_down(bench: FaultBench, stop: Callable[[], None]) -> Callable[[], None]:
    def fault() -> None:
        stop()
        time.sleep(3)
        bench.infra.kafka("start")

    return fault


def test_kafka_broker_restart(fault_bench: FaultBench) -> None:
    stop = broker_down(fault_bench, lambda: fault_bench.infra.kafka("stop"))
    run_fault(fault_bench, "Kafka broker stopped and restarted", stop)


def test_kafka_broker_killed_mid_stream(fault_bench: FaultBench) -> None:
    kill = broker_down(fault_bench, fault_bench.infra.kill_kafka)
    run_fault(fault_bench, "Kafka broker killed (SIGKILL) and restarted", kill)


def database_down(bench: FaultBench, seconds: float) -> Callable[[], None]:
    def fault() -> None:
        bench.infra.postgres("stop")
        time.sleep(seconds)
        bench.infra.postgres("start")

    return fault


def test_postgres_down_for_twenty_seconds(fault_bench: FaultBench) -> None:
    run_fault(fault_bench, "PostgreSQL down for 20 s", database_down(fault_bench, 20))


def test_postgres_down_for_sixty_seconds(fault_bench: FaultBench) -> None:
    run_fault(fault_bench, "PostgreSQL down for 60 s", database_down(fault_bench, 60))


def test_duplicates_and_poison_records_on_every_topic(fault_bench: FaultBench) -> None:
    bootstrap = fault_bench.infra.kafka_bootstrap_servers
    topics = ("case-events", "therapy-recommendations", "mdt-bookings")
    marker = uuid.uuid4().hex[:8]

    def inject() -> None:
        async def go() -> None:
            for topic in topics:
                full = f"faults.{topic}"
                for record in (await read_topic(bootstrap, full, idle_seconds=1))[-20:]:
                    await produce(bootstrap, full, record.value, key=record.key, headers=list(record.headers))
                poison = EventEnvelope(
                    event_type=EventType.case_withdrawn
                    if topic != "case-events"
                    else EventType.booking_confirmed,
                    case_id=uuid.uuid4(),
                    case_version=1,
                    payload={},
                )
                await produce(bootstrap, full, b"\x00poison", key=marker.encode())
                await produce(bootstrap, full, poison.model_dump_json().encode(), key=marker.encode())

        asyncio.run(go())

    run_fault(fault_bench, "duplicate and poison records on every topic", inject)

    settings = ServiceSettings(kafka_bootstrap_servers=bootstrap, kafka_topic_prefix="faults.")
    for topic in topics:
        letters = asyncio.run(read_dead_letters(settings, topic))
        poisoned = [d for d in letters if d.key == marker.encode()]
        assert {d.headers["dlq.error"] for d in poisoned} >= {"invalid_envelope", "unknown_event_type"}, topic


def test_one_of_two_consumer_instances_dies(fault_bench: FaultBench) -> None:
    def kill_second_instances() -> None:
        for key in ("eligibility-2", "scheduler-2"):
            fault_bench.pipeline.stop(key, signal.SIGKILL)

    run_fault(fault_bench, "one of two eligibility and scheduler instances killed", kill_second_instances)
