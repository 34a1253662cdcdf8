"""The fault suite's pipeline: a private Kafka and PostgreSQL (stopped and started by the tests), two
instances of eligibility and scheduler in one consumer group, and a report of each fault's outcome."""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.clinic import staff_every_specialty
from tests.support.infrastructure import ROOT
from tests.support.isolated import PrivateInfrastructure, private_infrastructure
from tests.support.services import Pipeline, running_pipeline

REPORT_PATH = ROOT / "bench" / "results" / "faults.md"


@dataclass(frozen=True)
class FaultOutcome:
    fault: str
    cases: int  # accepted while the fault happened
    rate: float  # cases per second offered
    seconds_sending: float  # from the first send to the last acceptance
    refusals: int  # answers a referrer had to retry (503 and friends, or no answer)
    lost: int
    duplicated: int
    most_unsettled: int  # the largest backlog seen: accepted cases without a booking decision yet
    seconds_to_recover: float | None  # fault over -> every case accepted until then settled
    seconds_to_drain: float | None  # last acceptance -> every case settled


def _seconds(value: float | None) -> str:
    return "not settled" if value is None else f"{value:.1f}"


REPORT: list[FaultOutcome] = []
LOAD_AVERAGES: list[
    tuple[float, float, float]
] = []  # at the pipeline's start and at its end: a shared machine


@dataclass
class FaultBench:
    infra: PrivateInfrastructure
    pipeline: Pipeline


@pytest.fixture(scope="package")
def fault_bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultBench]:
    log_dir: Path = tmp_path_factory.mktemp("fault-logs")
    with (
        private_infrastructure() as infra,
        running_pipeline(infra.database_url, infra.kafka_bootstrap_servers, "faults.", log_dir) as pipeline,
    ):
        pipeline.start("eligibility", instance="eligibility-2")
        pipeline.start("scheduler", instance="scheduler-2")
        staff_every_specialty(pipeline.url("scheduler"), per_specialty=6, days=5)
        LOAD_AVERAGES.append(os.getloadavg())
        yield FaultBench(infra, pipeline)
        LOAD_AVERAGES.append(os.getloadavg())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not REPORT:
        return
    lines = [
        "| fault | cases | rate offered / achieved (/s) | sent in (s) | refusals retried | lost | duplicated"
        " | largest backlog | time to recover (s) | time to drain (s) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        *(
            f"| {o.fault} | {o.cases} | {o.rate:g} / {o.cases / o.seconds_sending:.0f}"
            f" | {o.seconds_sending:.1f} | {o.refusals} | {o.lost} | {o.duplicated} | {o.most_unsettled} | {_seconds(o.seconds_to_recover)}"
            f" | {_seconds(o.seconds_to_drain)} |"
            for o in REPORT
        ),
    ]
    lines += [
        "",
        f"{os.cpu_count()} cores; load average (1/5/15 min) at the start and the end: "
        + " and ".join("/".join(f"{x:.1f}" for x in load) for load in LOAD_AVERAGES),
    ]
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text("\n".join(lines) + "\n")
    terminalreporter.write_sep("-", "fault suite")
    for line in lines:
        terminalreporter.write_line(line)
