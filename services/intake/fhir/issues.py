"""Mapping problems as FHIR OperationOutcome issues."""

from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

IssueCode = Literal[
    "invalid",
    "structure",
    "required",
    "value",
    "not-supported",
    "business-rule",
    "duplicate",
    "code-invalid",
    "login",
    "forbidden",
    "conflict",
    "too-long",
    "not-found",
    "exception",
]


@dataclass(frozen=True)
class FhirIssue:
    """One OperationOutcome.issue. `expression` holds FHIRPath-style locations in the posted Bundle."""

    code: IssueCode
    diagnostics: str
    expression: list[str] = field(default_factory=list)
    severity: Literal["error"] = "error"

    def as_fhir(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            issue["expression"] = list(self.expression)
        return issue


class FhirMappingError(Exception):
    """The Bundle cannot become a case submission; `issues` says why (answer: 422 with an OperationOutcome)."""

    def __init__(self, issues: list[FhirIssue]) -> None:
        self.issues = list(issues)
        summary = "; ".join(issue.diagnostics for issue in self.issues[:3])
        more = f" (+{len(self.issues) - 3} more)" if len(self.issues) > 3 else ""
        super().__init__(f"FHIR Bundle cannot be mapped to a case: {summary}{more}")


class FhirJsonError(FhirMappingError):
    """The request body is not JSON at all (answer: 400 with an OperationOutcome)."""


def decode_bundle_json(body: bytes) -> dict[str, Any]:
    """The posted body as a JSON object; FhirJsonError when it is not JSON, FhirMappingError when it is
    JSON but not an object (a Bundle is always one)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise FhirJsonError(
            [FhirIssue("structure", f"the request body is not valid JSON: {error}")]
        ) from None
    if not isinstance(document, dict):
        raise FhirMappingError(
            [FhirIssue("structure", "the request body is not a FHIR Bundle (resourceType 'Bundle')")]
        )
    return document


def operation_outcome(issues: list[FhirIssue]) -> dict[str, Any]:
    """A FHIR R4 OperationOutcome (JSON) listing the issues; never empty (R4 requires one issue at least)."""
    listed = issues or [FhirIssue("invalid", "the Bundle could not be mapped to a case")]
    return {"resourceType": "OperationOutcome", "issue": [issue.as_fhir() for issue in listed]}
