"""Small readers over fhir.resources' R4B models and raw JSON, shared by the mapping's rules: codings, dates,
numbers, and the 'latest reading wins' choice."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from services.intake.fhir.bundle import Entry
from services.intake.fhir.issues import FhirIssue

IGNORED_OBSERVATION: Final = frozenset({"entered-in-error", "cancelled", "registered"})


def codings_of(concept: Any) -> list[tuple[str | None, str]]:
    """(system, code) of a CodeableConcept model; codings without a code are left out."""
    if concept is None:
        return []
    return [(coding.system, coding.code) for coding in (concept.coding or []) if coding.code]


def codes_in(concept: Any, systems: Iterable[str] | str) -> list[str]:
    wanted = {systems} if isinstance(systems, str) else set(systems)
    return [code for system, code in codings_of(concept) if system in wanted]


def raw_codings(concept: Any) -> list[tuple[str | None, str]]:
    """(system, code) of a raw CodeableConcept, tolerant of junk: used to decide whether to parse at all."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    found = []
    for coding in concept["coding"]:
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            system = coding.get("system")
            found.append((system if isinstance(system, str) else None, coding["code"]))
    return found


def raw_profiles(raw: dict[str, Any]) -> list[Any]:
    meta = raw.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    return profiles if isinstance(profiles, list) else []


def status_codes(concept: Any) -> set[str]:
    return {code for _, code in codings_of(concept)}


def as_instant(value: Any) -> datetime | None:
    """A FHIR date, dateTime or instant (parsed or partial 'YYYY' / 'YYYY-MM') -> an aware UTC datetime."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        parts = value.split("-")
        try:
            year = int(parts[0])
            month = int(parts[1]) if len(parts) > 1 else 1
            return datetime(year, month, 1, tzinfo=UTC)
        except (ValueError, IndexError):
            return None
    return None


def period_instant(period: Any) -> datetime | None:
    if period is None:
        return None
    return as_instant(period.end) or as_instant(period.start)


def observation_time(observation: Any) -> datetime | None:
    return (
        as_instant(observation.effectiveDateTime)
        or as_instant(observation.effectiveInstant)
        or period_instant(observation.effectivePeriod)
        or as_instant(observation.issued)
    )


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    return None


@dataclass(frozen=True)
class Reading:
    """One candidate value for a case field: the latest (then the later entry) wins."""

    when: datetime | None
    index: int
    where: str
    value: Any = None
    problem: FhirIssue | None = None
    entry: Entry | None = None

    @property
    def rank(self) -> tuple[datetime, int]:
        return (self.when or datetime.min.replace(tzinfo=UTC), self.index)


def latest_reading(readings: list[Reading]) -> Reading | None:
    return max(readings, key=lambda reading: reading.rank) if readings else None
