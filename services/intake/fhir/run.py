"""One mapping run's state and bookkeeping: issues, where each case field came from (for 422 issues and for
the case view's sources)."""

from datetime import date
from typing import Any

from pydantic import ValidationError

from services.intake.fhir.bundle import BundleEntries, Entry
from services.intake.fhir.issues import FhirIssue, IssueCode
from services.intake.fhir.provenance import FieldSource
from shared.contracts.case import field_path


class MappingRun:
    """The state of one mapping run: the case being built, the provenance of each case field, and the issues.
    The rules for each kind of resource are mixins of this class (patient.py, conditions.py, ...)."""

    def __init__(self, pseudonym_key: bytes, today: date) -> None:
        self.key = pseudonym_key
        self.today = today
        self.issues: list[FhirIssue] = []
        self.provenance: dict[str, list[str]] = {}
        self.origin: dict[str, Entry] = {}  # case path -> the resource it came from
        self.bundle_id: str | None = None
        self.case: dict[str, Any] = {}
        self.entries = BundleEntries([])

    def note(self, case_path: str, where: str | list[str], entry: Entry | None = None) -> None:
        self.provenance[case_path] = [where] if isinstance(where, str) else where
        if entry is not None:
            self.origin[case_path] = entry

    def sources(self) -> dict[str, FieldSource]:
        """Every mapped case path whose value came from one resource -> that resource and its elements."""
        found = {
            path: FieldSource(entry.resource_type, entry.id, self.provenance[path])
            for path, entry in self.origin.items()
            if _holds(self.case, path)
        }
        if "external_id" in self.provenance and "external_id" not in self.origin:
            found["external_id"] = FieldSource("Bundle", self.bundle_id, self.provenance["external_id"])
        return dict(sorted(found.items()))

    def issue(self, code: IssueCode, diagnostics: str, *where: str) -> None:
        self.issues.append(FhirIssue(code, diagnostics, list(where)))

    def case_issues(self, error: ValidationError) -> list[FhirIssue]:
        issues = []
        for detail in error.errors():
            path = field_path(tuple(detail["loc"]))
            message = str(detail["msg"]).removeprefix("Value error, ")
            where, label = self.source_of(path)
            source = f" (from {label})" if label else ""
            code: IssueCode = "required" if detail["type"] == "missing" else "invalid"
            issues.append(FhirIssue(code, f"{path}: {message}{source}", where or [path]))
        return issues

    def source_of(self, path: str) -> tuple[list[str], str | None]:
        """The FHIR locations a case field came from: its own, else its nearest mapped parent's."""
        while path:
            if path in self.provenance:
                entry = self.origin.get(path)
                return self.provenance[path], entry.label if entry is not None else None
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return [], None


def _holds(case: dict[str, Any], path: str) -> bool:
    """Whether the case has a non-null value at a path such as 'lesions[0].site'."""
    value: Any = case
    for part in path.replace("[", ".[").split("."):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(value, list) or index >= len(value):
                return False
            value = value[index]
        elif isinstance(value, dict) and value.get(part) is not None:
            value = value[part]
        else:
            return False
    return True
