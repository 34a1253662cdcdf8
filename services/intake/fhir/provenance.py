"""Where a mapped case field came from: the resource (type and id) and its elements in the posted Bundle.
Kept with the case version and shown by the case view (meetings.md §7), so that a mapping problem can be
seen from outside."""

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class FieldSource:
    resource_type: str
    id: str | None  # None for a resource posted without an id
    expression: list[str]  # FHIRPath-style locations in the posted Bundle

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def sources_json(sources: dict[str, FieldSource]) -> dict[str, dict[str, Any]]:
    return {path: source.as_json() for path, source in sources.items()}
