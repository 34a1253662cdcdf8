"""Intake's HTTP API: translates requests into use-case calls, and nothing more."""

import hashlib
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Body, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from services.intake import service
from services.intake.case_view import CaseView, SubmissionReceipt
from services.intake.fhir import FhirMappingError, map_bundle, operation_outcome
from services.intake.settings import IntakeSettings
from shared.auth import Principal, Role, TokenTable, require_roles
from shared.contracts.case import CaseSubmission
from shared.contracts.events import Topic
from shared.db.engine import SessionFactory
from shared.http.problems import ProblemError

CLIENT_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
FHIR_JSON = "application/fhir+json"


def build_router(
    settings: IntakeSettings, sessions: SessionFactory, tokens: TokenTable, on_commit: Any
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["cases"])
    writer = Depends(require_roles(tokens, Role.integration))
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
        client: str, submission: CaseSubmission, idempotency_key: str | None, request_body: bytes
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
                            return JSONResponse(replay[1], status_code=replay[0])
                    receipt, changed = await service.submit_case(
                        session, client=client, submission=submission, topic=case_topic
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
                    409, "Idempotency key reused", "this Idempotency-Key was used for a different request"
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
        responses={200: {"model": SubmissionReceipt, "description": "identical resubmission"}},
    )
    async def submit_case(
        request: Request,
        submission: CaseSubmission,
        _: Annotated[Principal, writer],
        client: ClientId = "default",
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        return await accept(client, submission, idempotency_key, await request.body())

    @router.post(
        "/fhir/Bundle",
        status_code=202,
        response_model=SubmissionReceipt,
        responses={422: {"description": "OperationOutcome"}},
    )
    async def submit_fhir_bundle(
        request: Request,
        bundle: Annotated[dict[str, Any], Body(media_type=FHIR_JSON)],
        _: Annotated[Principal, writer],
        client: ClientId = "default",
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        try:
            submission = map_bundle(bundle, pseudonym_key=pseudonym_key, today=service.today())
        except FhirMappingError as error:
            return JSONResponse(operation_outcome(error.issues), status_code=422, media_type=FHIR_JSON)
        return await accept(client, submission, idempotency_key, orjson.dumps(bundle))

    @router.get("/cases/{case_id}", response_model=CaseView, responses={404: {"description": "unknown case"}})
    async def get_case(case_id: UUID, _: Annotated[Principal, reader]) -> CaseView:
        async with sessions() as session:
            try:
                return await service.get_case(session, case_id)
            except service.CaseNotFoundError:
                raise ProblemError(404, "Not found", "no case with this id") from None

    @router.delete(
        "/cases/{case_id}",
        status_code=202,
        response_model=SubmissionReceipt,
        responses={200: {"model": SubmissionReceipt, "description": "already withdrawn"}, 404: {}},
    )
    async def withdraw_case(case_id: UUID, _: Annotated[Principal, writer]) -> JSONResponse:
        try:
            async with sessions() as session, session.begin():
                receipt, changed = await service.withdraw_case(session, case_id=case_id, topic=case_topic)
        except service.CaseNotFoundError:
            raise ProblemError(404, "Not found", "no case with this id") from None
        on_commit()
        return JSONResponse(receipt.model_dump(mode="json"), status_code=202 if changed else 200)

    return router
