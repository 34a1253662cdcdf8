"""`make run` seeds the demo clinic through the scheduler's own API, each part only when it is missing.

- Demo clinicians: two per specialty, available every day 08:00-18:00 in the clinic's time zone for the
  team's horizon (12 weeks): working hours for huddles, and covering every meeting below.
- The MDT team of meetings.md §8: `bone-mets` (Europe/London), quorum radiology, radiation oncology, surgery,
  palliative care and medical oncology; the first demo clinician of each specialty a core member, the
  second a cover member; weekly series Tuesday 08:00-09:30 and Friday 12:30-13:30.
"""

import sys
from datetime import UTC, datetime, time, timedelta

import httpx

from services.scheduler.settings import SchedulerSettings
from shared.auth import Role, TokenTable
from shared.contracts.codes import Specialty

DEMO_NAMES = ("Dr Demo A", "Dr Demo B")
ROLES = ("core", "cover")
HORIZON_WEEKS = 12
DAYS = 7 * HORIZON_WEEKS + 1
TEAM = {
    "code": "bone-mets",
    "name": "Bone metastases MDT",
    "timezone": "Europe/London",
    "quorum_specialties": [
        Specialty.radiology.value,
        Specialty.radiation_oncology.value,
        Specialty.surgery.value,
        Specialty.palliative_care.value,
        Specialty.medical_oncology.value,
    ],
    "horizon_weeks": HORIZON_WEEKS,
}
SERIES = (
    {"weekday": 2, "start_local": "08:00", "duration_minutes": 90},  # Tuesday
    {"weekday": 5, "start_local": "12:30", "duration_minutes": 60},  # Friday
)


def seed_clinicians(client: httpx.Client) -> dict[str, int]:
    """The demo clinicians (name -> id), made with their availability when the scheduler has none."""
    existing = client.get("/v1/clinicians")
    existing.raise_for_status()
    if existing.json():
        print(f"[seed] scheduler already has {len(existing.json())} clinicians; none seeded")
        return {c["name"]: c["id"] for c in existing.json()}
    today = datetime.now(UTC).date()
    made: dict[str, int] = {}
    for specialty in Specialty:
        for name in DEMO_NAMES:
            created = client.post(
                "/v1/clinicians", json={"name": f"{name} ({specialty.value})", "specialty": specialty.value}
            )
            created.raise_for_status()
            clinician_id = created.json()["id"]
            made[created.json()["name"]] = clinician_id
            for weekday in range(7):
                client.post(
                    f"/v1/clinicians/{clinician_id}/availability/weekly",
                    json={
                        "weekday": weekday,
                        "start_local": time(8).isoformat(),
                        "end_local": time(18).isoformat(),
                        "from_date": today.isoformat(),
                        "to_date": (today + timedelta(days=DAYS)).isoformat(),
                    },
                ).raise_for_status()
    print(f"[seed] {len(made)} demo clinicians, available daily 08:00-18:00 for {DAYS} days")
    return made


def seed_team(client: httpx.Client, clinicians: dict[str, int]) -> None:
    teams = client.get("/v1/teams")
    teams.raise_for_status()
    if any(t["code"] == TEAM["code"] for t in teams.json()):
        print(f"[seed] team {TEAM['code']} exists; not seeded")
        return
    created = client.post("/v1/teams", json=TEAM)
    created.raise_for_status()
    team_id = created.json()["team_id"]
    members = 0
    for specialty in Specialty:
        for name, role in zip(DEMO_NAMES, ROLES, strict=True):
            clinician_id = clinicians.get(f"{name} ({specialty.value})")
            if clinician_id is not None:
                client.put(
                    f"/v1/teams/{team_id}/members/{clinician_id}", json={"role": role}
                ).raise_for_status()
                members += 1
    today = datetime.now(UTC).date()
    for series in SERIES:
        client.post(
            f"/v1/teams/{team_id}/series", json={**series, "starts_on": today.isoformat()}
        ).raise_for_status()
    print(f"[seed] team {TEAM['code']} with {members} members, meeting Tuesday 08:00 and Friday 12:30")


def main() -> None:
    settings = SchedulerSettings()
    token = TokenTable.parse(settings.api_tokens.get_secret_value()).token_for(Role.coordinator)
    if token is None:
        print("[seed] no coordinator token in API_TOKENS; skipping the demo clinic")
        return
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8003"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        seed_team(client, seed_clinicians(client))


if __name__ == "__main__":
    main()
