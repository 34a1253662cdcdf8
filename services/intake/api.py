"""Intake's HTTP API: translates requests into use-case calls, and nothing more."""

import re
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from services.intake import service, submission
from services.intake.case_view import CaseView, SubmissionReceipt, answer_status
from services.intake.dependencies import CLIENT_ID_PATTERN, Settings
from services.intake.fhir import map_posted_bundle, sources_json
from services.intake.fhir.xml import FHIR_XML, is_xml_media_type
from services.intake.fhir_http import (
    BUNDLE_REQUEST_BODY,
    FHIR_JSON,
    OperationOutcomeRoute,
    outcome_responses,
)
from services.intake.settings import IntakeSettings
from shared.auth import Role, bearer_token
from shared.contracts.case import CaseSubmission
from shared.contracts.events import Topic
from shared.db.unit_of_work import UnitOfWork
from shared.http.dependencies import Integration, IntegrationOrOps, UnitOfWorkDep
from shared.http.media_types import JSON, body_is_unsupported, require_json_body
from shared.http.problems import ProblemError, problem_responses

router = APIRouter(prefix="/v1", tags=["cases"])
fhir_router = APIRouter(tags=["fhir"], route_class=OperationOutcomeRoute)
case_fhir_router = APIRouter(tags=["fhir"], route_class=OperationOutcomeRoute)

ClientId = Annotated[
    str,
    Header(
        alias="X-Client-Id",
        pattern=CLIENT_ID_PATTERN,
        description="The referring system; (client, external_id) identifies a case. Default: 'default'.",
    ),
]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)]
JsonBody = Annotated[None, Depends(require_json_body())]

# The answers of both ways to submit a case (native JSON, FHIR Bundle) besides 202.
_IDENTICAL_RESUBMISSION: dict[int | str, dict[str, Any]] = {
    200: {"model": SubmissionReceipt, "description": "identical resubmission: nothing changed"}
}
_SUBMISSION_REFUSALS = (400, 401, 403, 409, 413, 415, 422)
_SUBMISSION_REFUSAL_REASONS = {
    "s400": "malformed JSON",
    "s409": "Idempotency-Key reused for a different body",
}


def _receipt(receipt: SubmissionReceipt, changed: bool) -> Response:
    # The same bytes JSONResponse would send, encoded by pydantic-core in one pass.
    return Response(receipt.model_dump_json(), status_code=answer_status(changed), media_type=JSON)


async def _accept(
    uow: UnitOfWork,
    settings: IntakeSettings,
    *,
    client: str,
    case: CaseSubmission,
    idempotency_key: str | None,
    request_body: bytes,
    sources: dict[str, Any] | None = None,
) -> Response:
    receipt, changed = await submission.submit(
        uow,
        client=client,
        submission=case,
        topic=settings.topic(Topic.case_events.value),
        idempotency_key=idempotency_key,
        request_body=request_body,
        idempotency_ttl=timedelta(hours=settings.idempotency_ttl_hours),
        sources=sources,
    )
    return _receipt(receipt, changed)


async def submit_case(
    request: Request,
    case: CaseSubmission,
    _: Integration,
    __: JsonBody,
    uow: UnitOfWorkDep,
    settings: Settings,
    client: ClientId = "default",
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return await _accept(
        uow,
        settings,
        client=client,
        case=case,
        idempotency_key=idempotency_key,
        request_body=await request.body(),
    )


class _SubmissionRoute(APIRoute):
    """`POST /v1/cases`, the one route every case passes, without FastAPI's per-request machinery when the
    request is plainly acceptable (direct_submission); anything else goes the declared way, so every refusal
    is FastAPI's own. Routing, middleware, exception handlers and the OpenAPI document are the route's."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        declared = super().get_route_handler()

        async def handle(request: Request) -> Response:
            return await direct_submission(request) or await declared(request)

        return handle


async def direct_submission(request: Request) -> Response | None:
    """What submit_case answers, for a request that carries `application/json`, a valid case (validated
    straight from the bytes), an integration token and valid X-Client-Id and Idempotency-Key headers if any;
    None for any other request (or when a test overrides a dependency), which the declared route answers."""
    app = request.app
    if app.dependency_overrides:
        return None
    headers = _first_headers(request.scope["headers"])
    if headers.get(b"content-type") != b"application/json":
        return None
    client = headers.get(b"x-client-id", b"default").decode("latin-1")
    key = headers.get(b"idempotency-key")
    idempotency_key = None if key is None else key.decode("latin-1")
    if not _CLIENT_ID.fullmatch(client) or (
        idempotency_key is not None and not 0 < len(idempotency_key) <= 255
    ):
        return None
    authorization = headers.get(b"authorization")
    token = bearer_token(None if authorization is None else authorization.decode("latin-1"))
    principal = None if token is None else app.state.tokens.identify(token)
    if principal is None or principal.role is not Role.integration:
        return None
    body = await request.body()
    try:
        case = CaseSubmission.model_validate_json(body)
    except ValueError:  # pydantic's ValidationError
        return None
    return await _accept(
        app.state.unit_of_work,
        app.state.settings,
        client=client,
        case=case,
        idempotency_key=idempotency_key,
        request_body=body,
    )


_CLIENT_ID = re.compile(CLIENT_ID_PATTERN.removeprefix("^").removesuffix("$"))
_WANTED_HEADERS = frozenset({b"content-type", b"x-client-id", b"idempotency-key", b"authorization"})


def _first_headers(raw: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """The first value of each header the route reads, as Starlette's `Headers.get` gives it."""
    found: dict[bytes, bytes] = {}
    for name, value in raw:
        if name in _WANTED_HEADERS and name not in found:
            found[name] = value
    return found


router.add_api_route(
    "/cases",
    submit_case,
    methods=["POST"],
    route_class_override=_SubmissionRoute,
    status_code=202,
    response_model=SubmissionReceipt,
    responses={
        **_IDENTICAL_RESUBMISSION,
        **problem_responses(
            *_SUBMISSION_REFUSALS,
            **_SUBMISSION_REFUSAL_REASONS,
            s415="the body is not application/json",
            s422="the case is invalid: every failing field is listed",
        ),
    },
)


@fhir_router.post(
    "/Bundle",
    status_code=202,
    response_model=SubmissionReceipt,
    openapi_extra=BUNDLE_REQUEST_BODY,
    responses={
        **_IDENTICAL_RESUBMISSION,
        **outcome_responses(
            *_SUBMISSION_REFUSALS,
            **_SUBMISSION_REFUSAL_REASONS,
            s415="the body is neither application/fhir+json, application/json nor application/fhir+xml",
            s422="the Bundle cannot be mapped to a valid case: every issue is listed",
        ),
    },
)
async def submit_fhir_bundle(
    request: Request,
    _: Integration,
    uow: UnitOfWorkDep,
    settings: Settings,
    client: ClientId = "default",
    idempotency_key: IdempotencyKey = None,
) -> Response:
    xml = is_xml_media_type(request.headers.get("content-type"))
    if not xml and await body_is_unsupported(request):
        raise ProblemError(
            415,
            "Unsupported media type",
            f"the body must be {FHIR_JSON}, application/json or {FHIR_XML}",
        )
    body = await request.body()
    # Off the event loop: a several-MB Synthea record takes seconds to parse, XML the longest. A body that is
    # not JSON, or a Bundle that maps to no valid case, is answered by the route class (400, 422).
    case, sources = await run_in_threadpool(
        map_posted_bundle,
        body,
        xml=xml,
        pseudonym_key=settings.pseudonym_key.get_secret_value().encode(),
        today=service.today(),
    )
    return await _accept(
        uow,
        settings,
        client=client,
        case=case,
        idempotency_key=idempotency_key,
        request_body=body,
        sources=sources_json(sources),
    )


@router.get(
    "/cases/{case_id}",
    response_model=CaseView,
    # trace_id is set for the ops role only, and left out of the answer otherwise.
    response_model_exclude_unset=True,
    responses=problem_responses(401, 403, 404, 422, s404="unknown case", s422="case_id is not a UUID"),
)
async def get_case(case_id: UUID, principal: IntegrationOrOps, uow: UnitOfWorkDep) -> CaseView:
    return await service.get_case(uow, case_id, with_trace=principal.role == Role.ops)


@router.delete(
    "/cases/{case_id}",
    status_code=202,
    response_model=SubmissionReceipt,
    responses={
        200: {"model": SubmissionReceipt, "description": "already withdrawn"},
        **problem_responses(401, 403, 404, 422, s404="unknown case", s422="case_id is not a UUID"),
    },
)
async def withdraw_case(case_id: UUID, _: Integration, uow: UnitOfWorkDep, settings: Settings) -> Response:
    receipt, changed = await service.withdraw_case(
        uow, case_id=case_id, topic=settings.topic(Topic.case_events.value)
    )
    return _receipt(receipt, changed)


@case_fhir_router.get(
    "/cases/{case_id}/fhir",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "a FHIR R4 Bundle (collection): GuidanceResponse and RequestGroup, Appointment "
            "with its Practitioners, Device and Provenance; only what exists for the case",
            "content": {FHIR_JSON: {"schema": {"type": "object", "title": "Bundle"}}},
        },
        **outcome_responses(401, 403, 404, 422, s404="unknown case", s422="case_id is not a UUID"),
    },
)
async def get_case_fhir(case_id: UUID, _: IntegrationOrOps, uow: UnitOfWorkDep) -> JSONResponse:
    return JSONResponse(await service.get_case_fhir(uow, case_id), media_type=FHIR_JSON)


router.include_router(fhir_router, prefix="/fhir")
router.include_router(case_fhir_router)
