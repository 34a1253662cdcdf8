"""The outbox never loses a case: with the broker stopped intake still accepts cases, and once it is back
every event is published, in order per case, exactly once, and the cases are booked. Two intake instances
posting at once publish every event exactly once too.

Runs on a private broker and PostgreSQL (tests/support/isolated.py), so stopping them disturbs nobody."""

import asyncio
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest

from tests.support.cases import a_case
from tests.support.clinic import staff_every_specialty
from tests.support.database import run_database
from tests.support.infrastructure import new_run_id
from tests.support.intake import OutboxRow, outbox_rows, read_topic
from tests.support.isolated import PrivateInfrastructure, private_infrastructure
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth, running_pipeline

pytestmark = pytest.mark.e2e


@dataclass
class Outage:
    infra: PrivateInfrastructure
    pipeline: Pipeline
    database_url: str
    topic: str


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    run = new_run_id()
    with (
        private_infrastructure() as infra,
        run_database(infra.database_url, f"bonemets_outage_{run}") as database_url,
        running_pipeline(
            database_url,
            infra.kafka_bootstrap_servers,
            f"outage-{run}.",
            tmp_path_factory.mktemp("outage-logs"),
        ) as pipeline,
    ):
        staff_every_specialty(pipeline.url("scheduler"), per_specialty=2)
        yield Outage(infra, pipeline, database_url, f"outage-{run}.case-events")


def post(url: str, case: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{url}/v1/cases", json=case, headers=auth("integration"), timeout=30)


def view(outage: Outage, case_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"{outage.pipeline.url('intake')}/v1/cases/{case_id}", headers=auth("integration"), timeout=30
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def assert_published_once_in_order(outage: Outage, case_ids: list[str], timeout: float = 180) -> None:
    """Every outbox row of these cases is on the topic exactly once, each case's in the order written."""

    def all_published() -> list[OutboxRow] | None:
        rows = outbox_rows(outage.database_url, *case_ids)
        return rows if rows and all(row.published for row in rows) else None

    rows = eventually(all_published, timeout=timeout, interval=1)
    events = asyncio.run(
        read_topic(
            outage.infra.kafka_bootstrap_servers,
            outage.topic,
            until=len(rows),
            keys=set(case_ids),
            wait_seconds=timeout,
            linger=3,
        )
    )
    counts = Counter(str(event.event_id) for event in events)
    assert [event_id for event_id, n in counts.items() if n > 1] == []
    assert set(counts) == {row.event_id for row in rows}
    row_case = {row.event_id: row for row in rows}
    for case_id in case_ids:
        on_topic = [str(event.event_id) for event in events if str(event.case_id) == case_id]
        versions = [row_case[event_id].case_version for event_id in on_topic]
        assert versions and versions == sorted(versions), (case_id, versions)
        written = [row.event_id for row in rows if row.event_id in set(on_topic)]
        assert on_topic == written, case_id


def test_cases_posted_while_kafka_is_down_are_published_in_order_once_and_booked(outage: Outage) -> None:
    intake = outage.pipeline.url("intake")
    outage.infra.kafka("stop")
    try:
        cases = [a_case() for _ in range(6)]
        first = [post(intake, case) for case in cases]
        assert [r.status_code for r in first] == [202] * len(cases)
        for case in cases:
            case["pain"]["score"] = 7
        second = [post(intake, case) for case in cases]
        assert [r.status_code for r in second] == [202] * len(cases)
        assert {r.json()["case_version"] for r in second} == {2}
        case_ids = [r.json()["case_id"] for r in first]

        rows = outbox_rows(outage.database_url, *case_ids)
        assert len(rows) == 2 * len(cases) and not any(row.published for row in rows)
    finally:
        outage.infra.kafka("start")

    assert_published_once_in_order(outage, case_ids)

    def booked_at_version_2(case_id: str) -> dict[str, Any] | None:
        current = view(outage, case_id)
        return (
            current
            if current["status"] in ("booked", "listed") and current["booking"]["case_version"] == 2
            else None
        )

    for case_id in case_ids:
        booked = eventually(partial(booked_at_version_2, case_id), timeout=180, interval=1)
        assert booked["booking"]["status"] == "confirmed"


def test_two_intake_instances_posting_at_once_publish_every_event_once(outage: Outage) -> None:
    if "intake-2" not in outage.pipeline.services:
        outage.pipeline.start("intake", instance="intake-2")
    urls = [outage.pipeline.url("intake"), outage.pipeline.url("intake-2")]
    cases = [a_case() for _ in range(12)]

    def submit(index: int) -> list[httpx.Response]:
        case = cases[index // 2]
        url = urls[index % 2]
        responses = [post(url, case)]  # the same case to both instances at once
        changed = {**case, "visceral_metastases": index % 2 == 0}
        responses.append(post(urls[(index + 1) % 2], changed))
        return responses

    with ThreadPoolExecutor(12) as pool:
        responses = [r for batch in pool.map(submit, range(2 * len(cases))) for r in batch]
    assert all(r.status_code in (200, 202) for r in responses), [
        r.text for r in responses if r.status_code >= 300
    ]
    case_ids = sorted({r.json()["case_id"] for r in responses})
    assert len(case_ids) == len(cases)

    assert_published_once_in_order(outage, case_ids, timeout=60)
    for case_id in case_ids:
        rows = outbox_rows(outage.database_url, case_id)
        assert rows[0].event_type == "case.submitted" and rows[0].case_version == 1
        assert [row.case_version for row in rows] == list(range(1, len(rows) + 1))
