"""`make migrate`: every service's migrations to head on DATABASE_URL (the services also do it at start)."""

from pathlib import Path

from shared.db.migrations import upgrade_to_head
from shared.settings import DatabaseSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "eligibility", "scheduler")


def main() -> None:
    url = DatabaseSettings().database_url
    for service in SERVICES:
        upgrade_to_head(ROOT / "services" / service / "migrations", url, service)
        print(f"[migrate] {service}: at head")


if __name__ == "__main__":
    main()
