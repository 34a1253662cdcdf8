"""Scale-out on consumer groups, proven on the real local Kafka and PostgreSQL: eligibility and scheduler run
as one, two and three processes in their consumer groups; each round streams cases through the whole
pipeline. It shows
- the partitions shared: every instance's consumer holds partitions, none twice, all covered (read from the
  broker with DescribeGroups for `<prefix>eligibility` and `<prefix>scheduler`);
- every case processed once: one recommendation for its version, one confirmed booking, and on the topics
  exactly one `recommendation.issued` and one `booking.confirmed` event per case, across the rebalances;
- the throughput of each round, reported (printed, `-s` shows it), not asserted: timing belongs to
  benchmarks, and two cores shared by nine processes say little about a cluster. (Seen here: the scheduler's
  rounds do not speed up with instances, as every case competes for the same earliest slots of the same
  clinicians, whose bookings the scheduler serialises with row locks on the clinicians.)"""

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from aiokafka.structs import TopicPartition

from shared.contracts.events import Topic
from tests.support.cases import a_case
from tests.support.clinic import staff_every_specialty
from tests.support.infrastructure import Infrastructure
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e

SCALED = ("eligibility", "scheduler")
INSTANCES = (1, 2, 3)
CASES_PER_ROUND = 15
# The topics each scaled group reads (services/*/main.py); ensure_topics gives them 6 partitions each.
READS = {
    "eligibility": (Topic.case_events, Topic.mdt_outcomes),
    "scheduler": (Topic.therapy_recommendations, Topic.case_events),
}


@dataclass(frozen=True)
class Round:
    instances: int
    cases: int
    seconds: float
    scale_seconds: float  # starting the new instances until every one holds partitions
    assignment: dict[str, list[list[TopicPartition]]]

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds


async def _group_assignment(bootstrap: str, group: str) -> tuple[str, list[list[TopicPartition]]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
        (description,) = response.to_object()["groups"]
        members = [
            # Empty while the group rebalances.
            ConsumerProtocolMemberAssignment.decode(member["member_assignment"]).partitions()
            if member["member_assignment"]
            else []
            for member in description["members"]
        ]
        return description["state"], members
    finally:
        await admin.close()


def wait_for_partitions_shared(
    bootstrap: str, prefix: str, service: str, instances: int
) -> list[list[TopicPartition]]:
    """Until the group is Stable with `instances` members, each holding partitions, none held twice."""
    group = f"{prefix}{service}"
    expected = {TopicPartition(f"{prefix}{topic.value}", p) for topic in READS[service] for p in range(6)}

    def probe() -> list[list[TopicPartition]] | None:
        state, members = asyncio.run(_group_assignment(bootstrap, group))
        held = [tp for member in members for tp in member]
        if (
            state == "Stable"
            and len(members) == instances
            and all(members)
            and len(held) == len(set(held))
            and set(held) == expected
        ):
            return members
        return None

    return eventually(probe, timeout=45, interval=0.5)


def post_cases(intake_url: str, count: int) -> list[str]:
    def post(_: int) -> str:
        response = httpx.post(
            f"{intake_url}/v1/cases", json=a_case(), headers=auth("integration"), timeout=30
        )
        assert response.status_code == 202, response.text
        return str(response.json()["case_id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(post, range(count)))


def wait_all_booked(scheduler_url: str, case_ids: set[str], timeout: float = 120) -> None:
    def probe() -> bool | None:
        response = httpx.get(
            f"{scheduler_url}/v1/bookings",
            params={"status": "confirmed", "limit": 1000},
            headers=auth("coordinator"),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        booked = {b["case_id"] for b in response.json()}
        return True if case_ids <= booked else None

    eventually(probe, timeout=timeout, interval=0.25)


async def _events_per_case(bootstrap: str, topic: str, case_ids: set[str]) -> Counter[tuple[str, str]]:
    """(case_id, event_type) -> how many records the topic holds, read from the start by a group-less reader."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    counts: Counter[tuple[str, str]] = Counter()
    try:
        partitions = consumer.assignment()
        while not partitions:
            await asyncio.sleep(0.1)
            partitions = consumer.assignment()
        end = await consumer.end_offsets(list(partitions))
        while [tp for tp, offset in end.items() if await consumer.position(tp) < offset]:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    try:
                        event = orjson.loads(record.value)
                    except orjson.JSONDecodeError:
                        continue  # other tests put poison records on the session's topics
                    if isinstance(event, dict) and event.get("case_id") in case_ids:
                        counts[(event["case_id"], event["event_type"])] += 1
    finally:
        await consumer.stop()
    return counts


def verify_processed_once(pipeline: Pipeline, case_id: str) -> None:
    """One recommendation for version 1 and exactly one booking, confirmed, for version 1."""
    recommendation = httpx.get(
        f"{pipeline.url('eligibility')}/v1/recommendations/{case_id}", headers=auth("clinician"), timeout=30
    )
    assert recommendation.status_code == 200, recommendation.text
    assert recommendation.json()["case_version"] == 1
    bookings = httpx.get(
        f"{pipeline.url('scheduler')}/v1/bookings",
        params={"case_id": case_id},
        headers=auth("coordinator"),
        timeout=30,
    )
    assert bookings.status_code == 200, bookings.text
    assert [(b["status"], b["case_version"]) for b in bookings.json()] == [("confirmed", 1)], case_id


@pytest.fixture
def scaled_pipeline(pipeline: Pipeline) -> Iterator[Pipeline]:
    """The session's pipeline; the extra instances started here are stopped afterwards."""
    before = set(pipeline.services)
    try:
        yield pipeline
    finally:
        for key in set(pipeline.services) - before:
            pipeline.stop(key)
            del pipeline.services[key]


def test_partitions_are_shared_and_every_case_is_processed_once_with_two_and_three_instances(
    scaled_pipeline: Pipeline, infrastructure: Infrastructure, topic_prefix: str
) -> None:
    pipeline = scaled_pipeline
    bootstrap = infrastructure.kafka_bootstrap_servers
    staff_every_specialty(pipeline.url("scheduler"), per_specialty=2)
    rounds: list[Round] = []
    all_cases: set[str] = set()
    for instances in INSTANCES:
        t0 = time.perf_counter()
        missing = [
            (service, f"{service}-{n}")
            for service in SCALED
            for n in range(2, instances + 1)
            if f"{service}-{n}" not in pipeline.services
        ]
        # Started side by side: each start waits for its instance's /readyz.
        with ThreadPoolExecutor(max_workers=len(missing) or 1) as pool:
            list(pool.map(lambda new: pipeline.start(new[0], instance=new[1]), missing))
        assignment = {
            service: wait_for_partitions_shared(bootstrap, topic_prefix, service, instances)
            for service in SCALED
        }
        rebalanced = time.perf_counter() - t0
        started = time.perf_counter()
        case_ids = set(post_cases(pipeline.url("intake"), CASES_PER_ROUND))
        wait_all_booked(pipeline.url("scheduler"), case_ids)
        rounds.append(Round(instances, len(case_ids), time.perf_counter() - started, rebalanced, assignment))
        all_cases |= case_ids
        # The groups did not rebalance away from an instance while the round ran.
        for service in SCALED:
            assert len(wait_for_partitions_shared(bootstrap, topic_prefix, service, instances)) == instances

    assert len(all_cases) == CASES_PER_ROUND * len(INSTANCES)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda case_id: verify_processed_once(pipeline, case_id), all_cases))

    recommended = asyncio.run(
        _events_per_case(bootstrap, f"{topic_prefix}{Topic.therapy_recommendations.value}", all_cases)
    )
    booked = asyncio.run(_events_per_case(bootstrap, f"{topic_prefix}{Topic.mdt_bookings.value}", all_cases))
    assert {
        case_id: recommended[(case_id, "recommendation.issued")] for case_id in all_cases
    } == dict.fromkeys(all_cases, 1)
    assert {case_id: booked[(case_id, "booking.confirmed")] for case_id in all_cases} == dict.fromkeys(
        all_cases, 1
    )
    assert set(recommended.values()) == {1} and set(booked.values()) == {1}, "an event was published twice"

    print(f"\nscale-out on {bootstrap} (prefix {topic_prefix}), {CASES_PER_ROUND} cases per round:")
    for r in rounds:
        shares = "; ".join(
            f"{service}: " + " / ".join(str(len(member)) for member in members)
            for service, members in r.assignment.items()
        )
        print(
            f"  {r.instances} instance(s): {r.cases} cases in {r.seconds:6.2f} s = {r.cases_per_second:5.1f}/s"
            f" (scaling took {r.scale_seconds:5.1f} s); partitions per instance: {shares}"
        )


def test_consumer_processes_join_the_group_and_api_workers_serve_with_every_case_processed_once(
    scaled_pipeline: Pipeline, infrastructure: Infrastructure, topic_prefix: str
) -> None:
    """A scheduler run by shared/serve.py with 2 API workers and 2 consumer processes (as `make run`,
    Compose and the manifests run it with API_WORKERS=2 CONSUMER_PROCESSES=2): the consumer processes are
    members of the group beside the session's scheduler, the workers are not, and they serve its API."""
    pipeline = scaled_pipeline
    bootstrap = infrastructure.kafka_bootstrap_servers
    staff_every_specialty(pipeline.url("scheduler"), per_specialty=2)
    pipeline.start("scheduler", instance="scheduler-processes", processes=(2, 2))
    members = wait_for_partitions_shared(bootstrap, topic_prefix, "scheduler", 3)
    assert len(members) == 3
    case_ids = set(post_cases(pipeline.url("intake"), CASES_PER_ROUND))
    wait_all_booked(pipeline.url("scheduler-processes"), case_ids)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda case_id: verify_processed_once(pipeline, case_id), case_ids))
    booked = asyncio.run(_events_per_case(bootstrap, f"{topic_prefix}{Topic.mdt_bookings.value}", case_ids))
    assert {case_id: booked[(case_id, "booking.confirmed")] for case_id in case_ids} == dict.fromkeys(
        case_ids, 1
    )
