"""The pathway clock on /metrics (meetings.md §6 and the ops alert rules): meetings within 48 h without
quorum, utilisation observed when a meeting finishes, time to first discussion once an outcome is recorded."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.metrics import scraped
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e


def test_a_meeting_without_quorum_is_counted_and_a_finished_one_observed(pipeline: Pipeline) -> None:
    scheduler = pipeline.url("scheduler")
    coordinator = httpx.Client(base_url=scheduler, headers=auth("coordinator"), timeout=30)
    before = scraped(scheduler, "mdt_meetings_without_quorum", within="48h")
    finished_before = scraped(scheduler, "mdt_meeting_utilisation_ratio_count")
    team = coordinator.post(
        "/v1/teams",
        json={
            "code": f"no-quorum-{uuid.uuid4().hex[:8]}",
            "name": "A team nobody staffs",
            "timezone": "Europe/London",
            "quorum_specialties": ["nuclear_medicine"],
        },
    )
    assert team.status_code == 201, team.text
    start = datetime.now(UTC) + timedelta(hours=5)
    meeting = coordinator.post(
        "/v1/meetings",
        json={"team_id": team.json()["team_id"], "start": start.isoformat(), "duration_minutes": 30},
    )
    assert meeting.status_code == 201, meeting.text
    assert meeting.json()["quorum"] == {"met": False, "lacking": ["nuclear_medicine"]}
    eventually(
        lambda: scraped(scheduler, "mdt_meetings_without_quorum", within="48h") >= before + 1 or None,
        timeout=10,
    )

    finished = coordinator.post(f"/v1/meetings/{meeting.json()['meeting_id']}/finish")
    assert finished.status_code == 200, finished.text
    assert scraped(scheduler, "mdt_meeting_utilisation_ratio_count") == finished_before + 1
    assert scraped(scheduler, "mdt_meetings_without_quorum", within="48h") == before
