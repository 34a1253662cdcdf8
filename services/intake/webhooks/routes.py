"""The webhook API (meetings.md §7, role `integration`): subscriptions of the calling client (X-Client-Id),
their deliveries and attempts, and the manual retry."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from services.intake.webhooks import store
from services.intake.webhooks.domain.events import (
    SUBSCRIBABLE,
    UnknownEventTypeError,
    subscription_types,
)
from services.intake.webhooks.domain.signing import new_secret
from services.intake.webhooks.domain.targets import AllowedHosts, TargetRefusedError, check_target
from shared.auth import Principal, Role, TokenTable, require_roles
from shared.db.driver import driver_connection
from shared.db.engine import SessionFactory
from shared.http.problems import ProblemError, problem_responses

CLIENT_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


class WebhookRequest(BaseModel):
    url: str = Field(description="http(s) URL of a host allowed by WEBHOOK_ALLOWED_HOSTS", max_length=4096)
    event_types: list[str] = Field(min_length=1, max_length=16, description=f"any of {sorted(SUBSCRIBABLE)}")


class EndpointStatus(StrEnum):
    active = "active"
    failing = "failing"  # every attempt failed since failing_since
    disabled = "disabled"  # failed everything for 5 days; a manual retry enables it again


class Webhook(BaseModel):
    webhook_id: UUID
    url: str
    event_types: list[str]
    status: EndpointStatus
    created_at: datetime
    failing_since: datetime | None
    disabled_at: datetime | None


class CreatedWebhook(Webhook):
    secret: str = Field(description="whsec_ + base64 of 32 random bytes; shown in this answer only")


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class AttemptView(BaseModel):
    attempted_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None = Field(description="the error's class when no HTTP answer came")
    response_body: str | None = Field(description="the first 1 KB of the answer at most")


class DeliveryView(BaseModel):
    delivery_id: UUID
    event_id: UUID = Field(description="the webhook-id header: the same on every attempt")
    event_type: str
    case_id: UUID
    case_version: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptView]


def _webhook(endpoint: store.Endpoint) -> dict[str, Any]:
    if endpoint.disabled_at is not None:
        status = EndpointStatus.disabled
    elif endpoint.failing_since is not None:
        status = EndpointStatus.failing
    else:
        status = EndpointStatus.active
    return {
        "webhook_id": endpoint.webhook_id,
        "url": endpoint.url,
        "event_types": endpoint.event_types,
        "status": status,
        "created_at": endpoint.created_at,
        "failing_since": endpoint.failing_since,
        "disabled_at": endpoint.disabled_at,
    }


def build_webhook_router(
    sessions: SessionFactory, tokens: TokenTable, allowed_hosts: AllowedHosts
) -> APIRouter:
    router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
    integration = Depends(require_roles(tokens, Role.integration))
    ClientId = Annotated[
        str,
        Header(
            alias="X-Client-Id",
            pattern=CLIENT_ID_PATTERN,
            description="The referring system: its webhooks receive the events of its cases only.",
        ),
    ]
    not_found = ProblemError(404, "Not found", "no webhook with this id for this client")

    @router.post(
        "",
        status_code=201,
        response_model=CreatedWebhook,
        responses=problem_responses(
            400, 401, 403, 422, s422="bad URL (scheme, host not allowed) or unknown event type"
        ),
    )
    async def create_webhook(
        request: WebhookRequest, _: Annotated[Principal, integration], client: ClientId = "default"
    ) -> JSONResponse:
        errors: list[dict[str, str]] = []
        try:
            check_target(request.url, allowed_hosts)
        except TargetRefusedError as refused:
            errors.append({"field": "url", "reason": str(refused)})
        try:
            event_types = subscription_types(request.event_types)
        except UnknownEventTypeError as unknown:
            errors.append({"field": f"event_types[{unknown.index}]", "reason": str(unknown)})
        if errors:
            raise ProblemError(
                422, "Invalid request", f"{len(errors)} field(s) failed validation", errors=errors
            )
        secret = new_secret()
        async with sessions() as session, session.begin():
            endpoint = await store.create_endpoint(
                await driver_connection(session),
                client=client,
                url=request.url,
                event_types=event_types,
                secret=secret,
            )
        body = CreatedWebhook(**_webhook(endpoint), secret=secret)
        return JSONResponse(body.model_dump(mode="json"), status_code=201)

    @router.get(
        "", response_model=list[Webhook], responses=problem_responses(401, 403, 422, s422="bad X-Client-Id")
    )
    async def list_webhooks(
        _: Annotated[Principal, integration], client: ClientId = "default"
    ) -> list[dict[str, Any]]:
        async with sessions() as session, session.begin():
            endpoints = await store.list_endpoints(await driver_connection(session), client=client)
        return [_webhook(endpoint) for endpoint in endpoints]

    @router.delete(
        "/{webhook_id}",
        status_code=204,
        responses=problem_responses(401, 403, 404, 422, s404="unknown webhook", s422="not a UUID"),
    )
    async def delete_webhook(
        webhook_id: UUID, _: Annotated[Principal, integration], client: ClientId = "default"
    ) -> Response:
        async with sessions() as session, session.begin():
            deleted = await store.delete_endpoint(
                await driver_connection(session), client=client, webhook_id=webhook_id
            )
        if not deleted:
            raise not_found
        return Response(status_code=204)

    @router.get(
        "/{webhook_id}/deliveries",
        response_model=list[DeliveryView],
        responses=problem_responses(401, 403, 404, 422, s404="unknown webhook", s422="bad id or status"),
    )
    async def list_deliveries(
        webhook_id: UUID,
        _: Annotated[Principal, integration],
        status: DeliveryStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        client: ClientId = "default",
    ) -> list[store.DeliveryState]:
        async with sessions() as session, session.begin():
            connection = await driver_connection(session)
            if not await store.endpoint_exists(connection, client=client, webhook_id=webhook_id):
                raise not_found
            return await store.list_deliveries(
                connection,
                webhook_id=webhook_id,
                status=None if status is None else status.value,
                limit=limit,
            )

    @router.post(
        "/{webhook_id}/deliveries/{delivery_id}/retry",
        status_code=202,
        response_model=DeliveryView,
        responses=problem_responses(
            401,
            403,
            404,
            409,
            422,
            s404="unknown webhook or delivery",
            s409="the delivery is still queued",
            s422="not a UUID",
        ),
    )
    async def retry_delivery(
        webhook_id: UUID,
        delivery_id: UUID,
        _: Annotated[Principal, integration],
        client: ClientId = "default",
    ) -> JSONResponse:
        async with sessions() as session, session.begin():
            connection = await driver_connection(session)
            if not await store.endpoint_exists(connection, client=client, webhook_id=webhook_id):
                raise not_found
            try:
                await store.requeue(connection, webhook_id=webhook_id, delivery_id=delivery_id)
            except store.DeliveryNotFoundError:
                raise ProblemError(404, "Not found", "no delivery with this id for this webhook") from None
            except store.DeliveryStillQueuedError:
                raise ProblemError(
                    409, "Still queued", "the delivery is pending: it will be tried again by itself"
                ) from None
            (state,) = await store.list_deliveries(
                connection, webhook_id=webhook_id, delivery_id=delivery_id, limit=1
            )
        body = DeliveryView.model_validate(state, from_attributes=True)
        return JSONResponse(body.model_dump(mode="json"), status_code=202)

    return router
