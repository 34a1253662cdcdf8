"""The demo clinic of meetings.md §8 on a scheduler process of its own (real Kafka and PostgreSQL): the seed
makes the bone-mets team and its Tuesday and Friday meetings with quorum; a routine case is listed on the
first of them that is at least the cut-off away, and an emergency gets a huddle within 24 h."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shared.contracts.codes import Specialty, Urgency
from tests.e2e.test_scheduler_api import Scheduler, only_scheduler
from tests.integration.scheduler.support import recommendation
from tests.support.database import run_database
from tests.support.infrastructure import Infrastructure
from tests.support.services import TEST_TOKENS

pytestmark = pytest.mark.e2e
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def seeded(
    infrastructure: Infrastructure, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scheduler]:
    prefix = f"test-{run_id}-meetings-demo."
    kafka = infrastructure.kafka_bootstrap_servers
    with (
        run_database(infrastructure.admin_database_url, f"bonemets_test_{run_id}_meetings_demo") as url,
        only_scheduler(url, kafka, prefix, tmp_path_factory.mktemp("meetings-demo-logs")) as pipeline,
    ):
        scheduler = Scheduler(pipeline, kafka, prefix)
        env = {**os.environ, "API_TOKENS": ",".join(f"{r}:{t}" for r, t in TEST_TOKENS.items())}
        for _ in range(2):  # the second run finds everything there and seeds nothing
            seeding = subprocess.run(
                [sys.executable, "-m", "services.scheduler.seed", scheduler.url],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
                cwd=Path(__file__).parents[2],
            )
            assert seeding.returncode == 0, seeding.stdout + seeding.stderr
        assert "not seeded" in seeding.stdout
        yield scheduler
        scheduler.http.close()


def test_the_seed_makes_the_bone_mets_team_and_its_weekly_meetings(seeded: Scheduler) -> None:
    [team] = seeded.http.get("/v1/teams").json()
    assert (team["code"], team["timezone"]) == ("bone-mets", "Europe/London")
    assert len(team["quorum_specialties"]) == 5
    roles = sorted(m["role"] for m in team["members"])
    assert roles == ["core"] * len(Specialty) + ["cover"] * len(Specialty)
    series = seeded.http.get(f"/v1/teams/{team['team_id']}/series").json()
    assert sorted((s["weekday"], s["start_local"], s["duration_minutes"]) for s in series) == [
        (2, "08:00", 90),
        (5, "12:30", 60),
    ]
    meetings = seeded.http.get("/v1/meetings", params={"team": team["team_id"]}).json()
    assert len(meetings) >= 2 * 11
    for meeting in meetings:
        local = datetime.fromisoformat(meeting["start"]).astimezone(LONDON)
        assert (local.isoweekday(), local.strftime("%H:%M")) in ((2, "08:00"), (5, "12:30"))
        assert meeting["quorum"] == {"met": True, "lacking": []}, meeting["start"]


async def test_a_routine_case_is_listed_and_an_emergency_gets_a_huddle(seeded: Scheduler) -> None:
    routine, emergency = uuid.uuid4(), uuid.uuid4()
    await seeded.publish(
        recommendation(
            routine, urgency=Urgency.routine, specialties=[Specialty.surgery, Specialty.radiology]
        ),
        recommendation(emergency, urgency=Urgency.emergency, specialties=[Specialty.surgery]),
    )
    [listed] = await seeded.booking_events(routine, 1, wait=60)
    placement = listed["payload"]
    assert listed["event_type"] == "booking.confirmed" and placement["kind"] == "meeting"
    start = datetime.fromisoformat(placement["start"])
    open_meetings = [
        m
        for m in seeded.http.get("/v1/meetings", params={"status": "scheduled"}).json()
        if datetime.fromisoformat(m["start"]) >= datetime.now(UTC) + timedelta(hours=48)
    ]
    assert start == datetime.fromisoformat(open_meetings[0]["start"])  # the first one past the cut-off
    assert placement["team_code"] == "bone-mets" and placement["position"] == 1
    assert placement["estimated_start"] == placement["start"]
    [huddle] = await seeded.booking_events(emergency, 1, wait=60)
    assert huddle["payload"]["kind"] == "huddle"
    assert datetime.fromisoformat(huddle["payload"]["end"]) <= datetime.now(UTC) + timedelta(hours=24)
