"""Sets up clinicians with availability through the scheduler's API, as a coordinator would."""

from datetime import UTC, datetime, timedelta

import httpx

from services.scheduler.domain import align_up
from shared.contracts.codes import Specialty
from tests.support.services import auth


def staff_every_specialty(
    scheduler_url: str, *, per_specialty: int = 1, days: int = 4
) -> dict[int, Specialty]:
    """Clinicians of every specialty, each free around the clock for the next `days` days."""
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
    return created
