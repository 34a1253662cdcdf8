"""The webhook use cases of a referring system (its client id): subscribe, list, unsubscribe, read the
deliveries and retry one by hand. Each takes the unit of work."""

from collections.abc import Sequence
from uuid import UUID

from services.intake.webhooks import store
from services.intake.webhooks.domain.events import UnknownEventTypeError, subscription_types
from services.intake.webhooks.domain.signing import new_secret
from services.intake.webhooks.domain.targets import AllowedHosts, TargetRefusedError, check_target
from shared.db.driver import driver_connection
from shared.db.unit_of_work import UnitOfWork
from shared.errors import FieldProblem, InvalidRequestError, NotFoundError


class WebhookNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("no webhook with this id for this client")


class SubscriptionRefusedError(InvalidRequestError):
    """A subscription refused for every reason found at once (the URL, an event type), each with its field."""

    def __init__(self, refusals: Sequence[InvalidRequestError]) -> None:
        super().__init__(refusals[0].field, refusals[0].reason)
        self.problems = [FieldProblem(refused.field, refused.reason) for refused in refusals]
        self.detail = f"{len(self.problems)} field(s) failed validation"


async def subscribe(
    uow: UnitOfWork, *, client: str, url: str, event_types: list[str], allowed_hosts: AllowedHosts
) -> tuple[store.Endpoint, str]:
    """The new subscription and its signing secret (shown once)."""
    refusals: list[InvalidRequestError] = []
    try:
        check_target(url, allowed_hosts)
    except TargetRefusedError as refused:
        refusals.append(refused)
    try:
        subscribed = subscription_types(event_types)
    except UnknownEventTypeError as unknown:
        refusals.append(unknown)
    if refusals:
        raise SubscriptionRefusedError(refusals)
    secret = new_secret()
    async with uow.begin() as session:
        endpoint = await store.create_endpoint(
            await driver_connection(session), client=client, url=url, event_types=subscribed, secret=secret
        )
    return endpoint, secret


async def subscriptions(uow: UnitOfWork, *, client: str) -> list[store.Endpoint]:
    async with uow.read() as session:
        return await store.list_endpoints(await driver_connection(session), client=client)


async def unsubscribe(uow: UnitOfWork, *, client: str, webhook_id: UUID) -> None:
    async with uow.begin() as session:
        if not await store.delete_endpoint(
            await driver_connection(session), client=client, webhook_id=webhook_id
        ):
            raise WebhookNotFoundError


async def deliveries(
    uow: UnitOfWork, *, client: str, webhook_id: UUID, status: str | None, limit: int
) -> list[store.DeliveryState]:
    """The subscription's deliveries, newest first, with their attempts."""
    async with uow.read() as session:
        connection = await driver_connection(session)
        if not await store.endpoint_exists(connection, client=client, webhook_id=webhook_id):
            raise WebhookNotFoundError
        return await store.list_deliveries(connection, webhook_id=webhook_id, status=status, limit=limit)


async def retry_delivery(
    uow: UnitOfWork, *, client: str, webhook_id: UUID, delivery_id: UUID
) -> store.DeliveryState:
    """A delivery that failed or was delivered goes again, due now (store.requeue says what else)."""
    async with uow.begin() as session:
        connection = await driver_connection(session)
        if not await store.endpoint_exists(connection, client=client, webhook_id=webhook_id):
            raise WebhookNotFoundError
        await store.requeue(connection, webhook_id=webhook_id, delivery_id=delivery_id)
        (state,) = await store.list_deliveries(
            connection, webhook_id=webhook_id, delivery_id=delivery_id, limit=1
        )
        return state
