"""The webhook API (meetings.md §7, role `integration`): subscriptions of the calling client (X-Client-Id),
their deliveries and attempts, and the manual retry."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from services.intake.dependencies import CLIENT_ID_PATTERN, Settings
from services.intake.webhooks import store, subscriptions
from services.intake.webhooks.domain.events import SUBSCRIBABLE
from services.intake.webhooks.domain.targets import AllowedHosts
from shared.http.dependencies import Integration, UnitOfWorkDep
from shared.http.problems import problem_responses


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


router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

ClientId = Annotated[
    str,
    Header(
        alias="X-Client-Id",
        pattern=CLIENT_ID_PATTERN,
        description="The referring system: its webhooks receive the events of its cases only.",
    ),
]


@router.post(
    "",
    status_code=201,
    response_model=CreatedWebhook,
    responses=problem_responses(
        400, 401, 403, 422, s422="bad URL (scheme, host not allowed) or unknown event type"
    ),
)
async def create_webhook(
    request: WebhookRequest,
    _: Integration,
    uow: UnitOfWorkDep,
    settings: Settings,
    client: ClientId = "default",
) -> JSONResponse:
    endpoint, secret = await subscriptions.subscribe(
        uow,
        client=client,
        url=request.url,
        event_types=request.event_types,
        allowed_hosts=AllowedHosts.parse(settings.webhook_allowed_hosts),
    )
    body = CreatedWebhook(**_webhook(endpoint), secret=secret)
    return JSONResponse(body.model_dump(mode="json"), status_code=201)


@router.get(
    "", response_model=list[Webhook], responses=problem_responses(401, 403, 422, s422="bad X-Client-Id")
)
async def list_webhooks(
    _: Integration, uow: UnitOfWorkDep, client: ClientId = "default"
) -> list[dict[str, Any]]:
    return [_webhook(endpoint) for endpoint in await subscriptions.subscriptions(uow, client=client)]


@router.delete(
    "/{webhook_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 422, s404="unknown webhook", s422="not a UUID"),
)
async def delete_webhook(
    webhook_id: UUID, _: Integration, uow: UnitOfWorkDep, client: ClientId = "default"
) -> Response:
    await subscriptions.unsubscribe(uow, client=client, webhook_id=webhook_id)
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=list[DeliveryView],
    responses=problem_responses(401, 403, 404, 422, s404="unknown webhook", s422="bad id or status"),
)
async def list_deliveries(
    webhook_id: UUID,
    _: Integration,
    uow: UnitOfWorkDep,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    client: ClientId = "default",
) -> list[store.DeliveryState]:
    return await subscriptions.deliveries(
        uow,
        client=client,
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
    _: Integration,
    uow: UnitOfWorkDep,
    client: ClientId = "default",
) -> JSONResponse:
    state = await subscriptions.retry_delivery(
        uow, client=client, webhook_id=webhook_id, delivery_id=delivery_id
    )
    body = DeliveryView.model_validate(state, from_attributes=True)
    return JSONResponse(body.model_dump(mode="json"), status_code=202)
