"""Reading a posted Bundle entry by entry, without trusting it.

The Bundle's own fields are validated with the R4B Bundle model; entries are kept as raw JSON and only the
resources the mapping needs are parsed, each with its own R4B model, so that one odd resource yields issues
that name it instead of failing the whole Bundle, and irrelevant ones (Encounter, Claim, ...) cost nothing.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from services.intake.fhir.issues import FhirIssue
from shared.contracts.case import field_path

ACCEPTED_BUNDLE_TYPES: Final = frozenset(
    {"collection", "transaction", "message", "document", "batch", "searchset"}
)
_MAX_ISSUES_PER_RESOURCE: Final = 5
_BUNDLE_FIELDS: Final = ("resourceType", "identifier", "type", "timestamp")  # the ones the mapping reads


@dataclass(frozen=True)
class Entry:
    """One Bundle entry with a resource: its position, type and raw JSON."""

    index: int
    resource_type: str
    raw: dict[str, Any]
    full_url: str | None

    @property
    def location(self) -> str:
        return f"Bundle.entry[{self.index}].resource"

    def at(self, element: str) -> str:
        """FHIRPath-style location of an element of this entry's resource."""
        return f"{self.location}.{element}" if element else self.location

    @property
    def id(self) -> str | None:
        value = self.raw.get("id")
        return value if isinstance(value, str) and value else None

    @property
    def label(self) -> str:
        """How diagnostics name the resource: 'Condition/abc', or its entry when it has no id."""
        return (
            f"{self.resource_type}/{self.id}" if self.id else f"{self.resource_type} at entry[{self.index}]"
        )

    def reference_keys(self) -> set[str]:
        keys = set()
        if self.full_url:
            keys.add(self.full_url)
        if self.id:
            keys.add(f"{self.resource_type}/{self.id}")
        return keys


def validation_issues(error: ValidationError, entry: Entry | None, what: str) -> list[FhirIssue]:
    """A pydantic ValidationError of an R4B model -> issues naming the failing elements."""
    issues = []
    for detail in error.errors()[:_MAX_ISSUES_PER_RESOURCE]:
        loc = tuple(part for part in detail.get("loc", ()) if part != "__root__")
        element = field_path(loc) if loc else ""
        where = entry.at(element) if entry else (f"Bundle.{element}" if element else "Bundle")
        message = str(detail.get("msg", "invalid")).replace("\n", " ")
        issues.append(FhirIssue("structure", f"{what}: {element or 'resource'}: {message}", [where]))
    return issues


class BundleEntries:
    """The entries of a Bundle, indexed by resource type and by the references that reach them."""

    def __init__(self, entries: list[Entry]) -> None:
        self._entries = entries
        self._by_reference: dict[str, Entry] = {}
        for entry in entries:
            for key in entry.reference_keys():
                self._by_reference[key] = entry

    def of_type(self, resource_type: str) -> Iterator[Entry]:
        return (entry for entry in self._entries if entry.resource_type == resource_type)

    def resolve(self, reference: str | None) -> Entry | None:
        """A Reference.reference -> the entry it points at: fullUrl, 'Type/id', or an absolute URL ending so."""
        if not reference:
            return None
        if reference in self._by_reference:
            return self._by_reference[reference]
        parts = reference.rstrip("/").split("/")
        if "_history" in parts:
            parts = parts[: parts.index("_history")]
        if len(parts) >= 2:
            return self._by_reference.get(f"{parts[-2]}/{parts[-1]}")
        return None


def read_bundle(bundle: Any, issues: list[FhirIssue]) -> tuple[BundleEntries, Bundle | None]:
    """Validate the Bundle's own fields and collect its entries (later duplicates replace earlier ones)."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        issues.append(
            FhirIssue("structure", "the request body is not a FHIR Bundle (resourceType 'Bundle')", [])
        )
        return BundleEntries([]), None
    shell: Bundle | None = None
    try:
        shell = Bundle.model_validate({key: bundle[key] for key in _BUNDLE_FIELDS if key in bundle})
    except (ValidationError, ValueError, TypeError) as error:
        if isinstance(error, ValidationError):
            issues.extend(validation_issues(error, None, "Bundle"))
        else:
            issues.append(FhirIssue("structure", f"Bundle: {error}", ["Bundle"]))
    bundle_type = bundle.get("type")
    if not isinstance(bundle_type, str) or bundle_type not in ACCEPTED_BUNDLE_TYPES:
        accepted = ", ".join(sorted(ACCEPTED_BUNDLE_TYPES))
        issues.append(
            FhirIssue(
                "not-supported",
                f"Bundle.type {bundle_type!r} is not accepted; use one of {accepted}",
                ["Bundle.type"],
            )
        )
    raw_entries = bundle.get("entry")
    if raw_entries is None:
        issues.append(FhirIssue("required", "the Bundle has no entries", ["Bundle.entry"]))
        return BundleEntries([]), shell
    if not isinstance(raw_entries, list):
        issues.append(FhirIssue("structure", "Bundle.entry must be a list", ["Bundle.entry"]))
        return BundleEntries([]), shell
    entries: dict[str, Entry] = {}
    for index, raw_entry in enumerate(raw_entries):
        if not isinstance(raw_entry, dict):
            issues.append(
                FhirIssue("structure", f"Bundle.entry[{index}] is not an object", [f"Bundle.entry[{index}]"])
            )
            continue
        request = raw_entry.get("request")
        if isinstance(request, dict) and request.get("method") == "DELETE":
            continue
        resource = raw_entry.get("resource")
        if resource is None:
            continue
        resource_type = resource.get("resourceType") if isinstance(resource, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource_type, str):
            issues.append(
                FhirIssue(
                    "structure",
                    f"Bundle.entry[{index}].resource is not a FHIR resource (no resourceType)",
                    [f"Bundle.entry[{index}].resource"],
                )
            )
            continue
        full_url = raw_entry.get("fullUrl")
        entry = Entry(index, resource_type, resource, full_url if isinstance(full_url, str) else None)
        identity = f"{resource_type}/{entry.id}" if entry.id else (entry.full_url or f"#{index}")
        entries.pop(
            identity, None
        )  # a later duplicate replaces the earlier one, and takes its place in order
        entries[identity] = entry
    return BundleEntries(list(entries.values())), shell


def parse(entry: Entry, issues: list[FhirIssue]) -> Any | None:
    """The entry's resource as its R4B model, or None with issues naming what is wrong with it."""
    try:
        model = get_fhir_model_class(entry.resource_type)
        return model.model_validate(entry.raw)
    except ValidationError as error:
        issues.extend(validation_issues(error, entry, entry.label))
    except (ValueError, TypeError, KeyError) as error:
        issues.append(FhirIssue("structure", f"{entry.label}: {error}", [entry.location]))
    return None
