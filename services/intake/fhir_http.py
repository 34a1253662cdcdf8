"""How intake's FHIR endpoints answer over HTTP: every error is an OperationOutcome (contracts.md §5), not
problem+json, including authentication, header validation and content-type errors; the OpenAPI pieces that
say so."""

from collections.abc import Callable, Coroutine, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from services.intake.fhir import FhirIssue, FhirJsonError, FhirMappingError, operation_outcome
from services.intake.fhir.issues import IssueCode
from shared.errors import DomainError
from shared.http.problems import PROBLEM_JSON, Problem, ProblemError, problem_of, validation_errors

FHIR_JSON = "application/fhir+json"
FHIR_XML = "application/fhir+xml"

_ISSUE_CODE: dict[int, IssueCode] = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    413: "too-long",
    415: "not-supported",
    422: "invalid",
}

OPERATION_OUTCOME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "OperationOutcome",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"type": "string"},
                    "code": {"type": "string"},
                    "diagnostics": {"type": "string"},
                    "expression": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}

BUNDLE_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A FHIR R4 Bundle (collection, transaction, message, document, batch or searchset), "
        "as JSON or XML; see docs/fhir-mapping.md.",
        "content": {
            media_type: {
                "schema": {
                    "type": "object",
                    "title": "Bundle",
                    "required": ["resourceType"],
                    "properties": {
                        "resourceType": {"type": "string", "enum": ["Bundle"]},
                        "type": {"type": "string"},
                        "entry": {"type": "array", "items": {"type": "object"}},
                    },
                }
            }
            for media_type in (FHIR_JSON, "application/json")
        }
        | {
            FHIR_XML: {
                "schema": {
                    "type": "string",
                    "format": "binary",
                    "description": 'the Bundle in FHIR\'s XML form: <Bundle xmlns="http://hl7.org/fhir">',
                }
            }
        },
    }
}


def outcome_responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for errors answered with an OperationOutcome. 413 comes from the body
    limit, before any route runs, and stays problem+json."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        content: dict[str, Any] = {FHIR_JSON: {"schema": OPERATION_OUTCOME_SCHEMA}}
        if status == 413:
            content = {PROBLEM_JSON: {"schema": Problem.model_json_schema()}}
        responses[status] = {
            "description": descriptions.get(f"s{status}", HTTPStatus(status).phrase),
            "content": content,
        }
    return responses


def outcome_response(
    status: int, issues: list[FhirIssue], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        operation_outcome(issues),
        status_code=status,
        media_type=FHIR_JSON,
        headers=dict(headers) if headers else None,
    )


class OperationOutcomeRoute(APIRoute):
    """A route whose errors (raised by dependencies, parameter validation or the handler) are answered as
    OperationOutcomes: a body that is not JSON 400, a Bundle that cannot be mapped to a case 422, each with
    the mapping's issues."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_with_outcomes(request: Request) -> Response:
            try:
                return await handle(request)
            except FhirJsonError as not_json:
                return outcome_response(400, not_json.issues)
            except FhirMappingError as unmapped:
                return outcome_response(422, unmapped.issues)
            except DomainError as refused:
                error = problem_of(refused)
                code = _ISSUE_CODE.get(error.status, "exception")
                return outcome_response(error.status, [FhirIssue(code, error.detail)], error.headers)
            except ProblemError as error:
                code = _ISSUE_CODE.get(error.status, "exception")
                return outcome_response(error.status, [FhirIssue(code, error.detail)], error.headers)
            except RequestValidationError as error:
                issues = [
                    FhirIssue("invalid", f"{item['field']}: {item['reason']}", [item["field"]])
                    for item in validation_errors(error.errors())
                ]
                return outcome_response(422, issues)

        return handle_with_outcomes
