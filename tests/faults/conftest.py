"""The fault suite's pipeline: a private Kafka and PostgreSQL (stopped and started by the tests), two
instances of eligibility and scheduler in one consumer group, and a report of each fault's outcome."""

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
    cases_in_flight: int
    lost: int
    duplicated: int
    seconds_to_recover: float


REPORT: list[FaultOutcome] = []


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
        yield FaultBench(infra, pipeline)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not REPORT:
        return
    lines = [
        "| fault | cases in flight | lost | duplicated | time to recover (s) |",
        "|---|---|---|---|---|",
        *(
            f"| {o.fault} | {o.cases_in_flight} | {o.lost} | {o.duplicated} | {o.seconds_to_recover:.1f} |"
            for o in REPORT
        ),
    ]
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text("\n".join(lines) + "\n")
    terminalreporter.write_sep("-", "fault suite")
    for line in lines:
        terminalreporter.write_line(line)
