"""Sets up clinicians with availability, and an MDT team with meetings, through the scheduler's API, as a
coordinator would."""

from datetime import UTC, datetime, timedelta

import httpx

from services.scheduler.domain import align_up
from shared.contracts.codes import Specialty
from tests.support.services import auth

TEAM_CODE = "test-mdt"
# A routine case goes to a meeting at least the team's cut-off ahead (meetings.md §2): an hour here, so that
# meetings within the few days the clinicians are available take routine cases.
TEAM_CUTOFF_HOURS = 1
MEETING_EVERY = timedelta(hours=12)
# The most the API allows: 240 full discussions of 6 minutes per meeting, so that every test case has room.
MEETING_CAPACITY = 24 * 60


def staff_every_specialty(
    scheduler_url: str, *, per_specialty: int = 1, days: int = 4
) -> dict[int, Specialty]:
    """Clinicians of every specialty, each free around the clock for the next `days` days, all core members
    of one team (`test-mdt`, quorum radiology) that meets every 12 hours from 3 hours from now while they
    are available: emergencies get huddles, and urgent and routine cases a meeting (or a huddle)."""
    start = align_up(datetime.now(UTC)) - timedelta(minutes=15)
    created: dict[int, Specialty] = {}
    with httpx.Client(base_url=scheduler_url, headers=auth("coordinator"), timeout=30) as client:
        for specialty in Specialty:
            for n in range(per_specialty):
                response = client.post(
                    "/v1/clinicians",
                    json={"name": f"Dr Test {n} {specialty.value}", "specialty": specialty.value},
                )
                assert response.status_code == 201, response.text
                clinician_id = response.json()["id"]
                created[clinician_id] = specialty
                for day in range(days):
                    window_start = start + timedelta(hours=24 * day)
                    response = client.post(
                        f"/v1/clinicians/{clinician_id}/availability",
                        json={
                            "start": window_start.isoformat(),
                            "end": (window_start + timedelta(hours=24)).isoformat(),
                        },
                    )
                    assert response.status_code == 201, response.text
        team_with_meetings(client, created, start + timedelta(hours=3), start + timedelta(hours=24 * days))
    return created


def team_with_meetings(
    client: httpx.Client, members: dict[int, Specialty], first: datetime, until: datetime
) -> int:
    """The `test-mdt` team (made when missing) with `members` as core members and one-off meetings every
    12 hours in [first, until)."""
    teams = client.get("/v1/teams")
    assert teams.status_code == 200, teams.text
    found = [t["team_id"] for t in teams.json() if t["code"] == TEAM_CODE]
    if found:
        team_id = found[0]
    else:
        response = client.post(
            "/v1/teams",
            json={
                "code": TEAM_CODE,
                "name": "Test MDT",
                "timezone": "Europe/London",
                "quorum_specialties": [Specialty.radiology.value],
                "listing_cutoff_hours": TEAM_CUTOFF_HOURS,
            },
        )
        assert response.status_code == 201, response.text
        team_id = response.json()["team_id"]
    for clinician_id in members:
        response = client.put(f"/v1/teams/{team_id}/members/{clinician_id}", json={"role": "core"})
        assert response.status_code == 200, response.text
    start = first
    while start + timedelta(hours=1) <= until:
        response = client.post(
            "/v1/meetings",
            json={
                "team_id": team_id,
                "start": start.isoformat(),
                "duration_minutes": 60,
                "capacity_minutes": MEETING_CAPACITY,
            },
        )
        assert response.status_code == 201, response.text
        start += MEETING_EVERY
    return int(team_id)
