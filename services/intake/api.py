"""Intake's HTTP API: translates requests into use-case calls, and nothing more."""

import hashlib
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from services.intake import service
from services.intake.case_view import CaseView, SubmissionReceipt
from services.intake.fhir import FhirJsonError, FhirMappingError, map_posted_bundle, sources_json
from services.intake.fhir.xml import FHIR_XML, is_xml_media_type
from services.intake.fhir_http import (
    BUNDLE_REQUEST_BODY,
    FHIR_JSON,
    OperationOutcomeRoute,
    outcome_response,
    outcome_responses,
)
from services.intake.settings import IntakeSettings
from shared.auth import Principal, Role, TokenTable, require_roles
from shared.contracts.case import CaseSubmission
from shared.contracts.events import Topic
from shared.db.engine import SessionFactory
from shared.http.media_types import body_is_unsupported, require_json_body
from shared.http.problems import ProblemError, problem_responses

CLIENT_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


def build_router(
    settings: IntakeSettings, sessions: SessionFactory, tokens: TokenTable, on_commit: Any
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["cases"])
    fhir_router = APIRouter(tags=["fhir"], route_class=OperationOutcomeRoute)
    case_fhir_router = APIRouter(tags=["fhir"], route_class=OperationOutcomeRoute)
    writer = Depends(require_roles(tokens, Role.integration))
    json_body = Depends(require_json_body())
    reader = Depends(require_roles(tokens, Role.integration, Role.ops))
    case_topic = settings.topic(Topic.case_events.value)
    ttl = timedelta(hours=settings.idempotency_ttl_hours)
    pseudonym_key = settings.pseudonym_key.get_secret_value().encode()

    ClientId = Annotated[
        str,
        Header(
            alias="X-Client-Id",
            pattern=CLIENT_ID_PATTERN,
            description="The referring system; (client, external_id) identifies a case. Default: 'default'.",
        ),
    ]
    IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)]

    async def accept(
        client: str,
        submission: CaseSubmission,
        idempotency_key: str | None,
        request_body: bytes,
        sources: dict[str, Any] | None = None,
    ) -> JSONResponse:
        request_hash = hashlib.sha256(request_body).hexdigest()
        for attempt in range(3):
            try:
                async with sessions() as session, session.begin():
                    if idempotency_key:
                        replay = await service.replay_idempotent(
                            session, client=client, key=idempotency_key, request_hash=request_hash, ttl=ttl
                        )
                        if replay is not None:
                            return JSONResponse(replay[1].model_dump(mode="json"), status_code=replay[0])
                    receipt, changed = await service.submit_case(
                        session,
                        client=client,
                        submission=submission,
                        topic=case_topic,
                        in_transaction=idempotency_key is not None,
                        sources=sources,
                    )
                    status_code = 202 if changed else 200
                    body = receipt.model_dump(mode="json")
                    if idempotency_key:
                        await service.remember_idempotent(
                            session,
                            client=client,
                            key=idempotency_key,
                            request_hash=request_hash,
                            status_code=status_code,
                            response=body,
                        )
                on_commit()
                return JSONResponse(body, status_code=status_code)
            except service.IdempotencyConflictError:
                raise ProblemError(
                    409,
                    "Idempotency key reused",
                    "this Idempotency-Key was used before for a different request body",
                ) from None
            except IntegrityError:
                # Two first submissions of one case (or one key) raced; the loser re-reads the winner's row.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    @router.post(
        "/cases",
        status_code=202,
        response_model=SubmissionReceipt,
        responses={
            200: {"model": SubmissionReceipt, "description": "identical resubmission: nothing changed"},
            **problem_responses(
                400,
                401,
                403,
                409,
                413,
                415,
                422,
                s400="malformed JSON",
                s409="Idempotency-Key reused for a different body",
                s415="the body is not application/json",
                s422="the case is invalid: every failing field is listed",
            ),
        },
    )
    async def submit_case(
        request: Request,
        submission: CaseSubmission,
        _: Annotated[Principal, writer],
        __: Annotated[None, json_body],
        client: ClientId = "default",
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        return await accept(client, submission, idempotency_key, await request.body())

    @fhir_router.post(
        "/Bundle",
        status_code=202,
        response_model=SubmissionReceipt,
        openapi_extra=BUNDLE_REQUEST_BODY,
        responses={
            200: {"model": SubmissionReceipt, "description": "identical resubmission: nothing changed"},
            **outcome_responses(
                400,
                401,
                403,
                409,
                413,
                415,
                422,
                s400="malformed JSON",
                s409="Idempotency-Key reused for a different body",
                s415="the body is neither application/fhir+json, application/json nor application/fhir+xml",
                s422="the Bundle cannot be mapped to a valid case: every issue is listed",
            ),
        },
    )
    async def submit_fhir_bundle(
        request: Request,
        _: Annotated[Principal, writer],
        client: ClientId = "default",
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        xml = is_xml_media_type(request.headers.get("content-type"))
        if not xml and await body_is_unsupported(request):
            raise ProblemError(
                415,
                "Unsupported media type",
                f"the body must be {FHIR_JSON}, application/json or {FHIR_XML}",
            )
        body = await request.body()
        try:
            # Off the event loop: a several-MB Synthea record takes seconds to parse, XML the longest.
            submission, sources = await run_in_threadpool(
                map_posted_bundle, body, xml=xml, pseudonym_key=pseudonym_key, today=service.today()
            )
        except FhirJsonError as error:
            return outcome_response(400, error.issues)
        except FhirMappingError as error:
            return outcome_response(422, error.issues)
        return await accept(client, submission, idempotency_key, body, sources_json(sources))

    @router.get(
        "/cases/{case_id}",
        response_model=CaseView,
        # trace_id is set for the ops role only, and left out of the answer otherwise.
        response_model_exclude_unset=True,
        responses=problem_responses(401, 403, 404, 422, s404="unknown case", s422="case_id is not a UUID"),
    )
    async def get_case(case_id: UUID, principal: Annotated[Principal, reader]) -> CaseView:
        async with sessions() as session:
            try:
                return await service.get_case(session, case_id, with_trace=principal.role == Role.ops)
            except service.CaseNotFoundError:
                raise ProblemError(404, "Not found", "no case with this id") from None

    @router.delete(
        "/cases/{case_id}",
        status_code=202,
        response_model=SubmissionReceipt,
        responses={
            200: {"model": SubmissionReceipt, "description": "already withdrawn"},
            **problem_responses(401, 403, 404, 422, s404="unknown case", s422="case_id is not a UUID"),
        },
    )
    async def withdraw_case(case_id: UUID, _: Annotated[Principal, writer]) -> JSONResponse:
        try:
            async with sessions() as session, session.begin():
                receipt, changed = await service.withdraw_case(session, case_id=case_id, topic=case_topic)
        except service.CaseNotFoundError:
            raise ProblemError(404, "Not found", "no case with this id") from None
        on_commit()
        return JSONResponse(receipt.model_dump(mode="json"), status_code=202 if changed else 200)

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
    async def get_case_fhir(case_id: UUID, _: Annotated[Principal, reader]) -> JSONResponse:
        async with sessions() as session:
            try:
                bundle = await service.get_case_fhir(session, case_id)
            except service.CaseNotFoundError:
                raise ProblemError(404, "Not found", "no case with this id") from None
        return JSONResponse(bundle, media_type=FHIR_JSON)

    router.include_router(fhir_router, prefix="/fhir")
    router.include_router(case_fhir_router)
    return router
