"""`make run` seeds a few demo clinicians through the scheduler's own API when it has none.

Two clinicians per specialty, available every day 08:00-18:00 in the clinic's time zone for four weeks.
"""

import sys
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

from services.scheduler.domain import expand_weekly_template
from services.scheduler.settings import SchedulerSettings
from shared.auth import Role, TokenTable
from shared.contracts.codes import Specialty

DEMO_NAMES = ("Dr Demo A", "Dr Demo B")
DAYS = 28


def main() -> None:
    settings = SchedulerSettings()
    token = TokenTable.parse(settings.api_tokens.get_secret_value()).token_for(Role.coordinator)
    if token is None:
        print("[seed] no coordinator token in API_TOKENS; skipping the demo clinicians")
        return
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8003"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        existing = client.get("/v1/clinicians")
        existing.raise_for_status()
        if existing.json():
            print(f"[seed] scheduler already has {len(existing.json())} clinicians; nothing seeded")
            return
        zone = ZoneInfo(settings.clinic_timezone)
        today = datetime.now(UTC).date()
        windows = [
            window
            for weekday in range(7)
            for window in expand_weekly_template(
                weekday, time(8), time(18), zone, today, today + timedelta(days=DAYS)
            )
        ]
        for specialty in Specialty:
            for name in DEMO_NAMES:
                created = client.post(
                    "/v1/clinicians",
                    json={"name": f"{name} ({specialty.value})", "specialty": specialty.value},
                )
                created.raise_for_status()
                clinician_id = created.json()["id"]
                for window in windows:
                    client.post(
                        f"/v1/clinicians/{clinician_id}/availability",
                        json={"start": window.start.isoformat(), "end": window.end.isoformat()},
                    ).raise_for_status()
        print(f"[seed] {2 * len(Specialty)} demo clinicians with {len(windows)} windows each")


if __name__ == "__main__":
    main()
