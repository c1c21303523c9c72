"""Webhook subscriptions: ask to have the feed of changes pushed to a URL.

Who may do what. Creating, deleting and resuming a subscription needs an operator's or an
admin's key: a subscription makes the ledger send requests, carrying its data, to a URL of
the caller's choosing, which is more than reading. Reading subscriptions is open to every
role, but each key sees only the subscriptions it created (another key's are "not found",
so nothing about them leaks), and an admin sees and manages them all.

Nothing is delivered here: the ``ledger deliver`` worker does that, apart from the requests.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from fastapi import APIRouter, Path, Query, Response, status

from api.auth import READ, WRITE, Principal, PrincipalDep
from api.blocking import blocking
from api.deps import ServicesDep
from api.errors import PROBLEM_RESPONSES
from api.idempotency import ClaimDep, IdempotentRoute, SecretIssuingRoute
from api.reading import Limit, page_size
from api.schemas.subscriptions import (
    CreatedSubscriptionOut,
    DeliveryOut,
    DeliveryPage,
    SubscriptionIn,
    SubscriptionList,
    SubscriptionOut,
)
from application.feed import FeedFilter
from application.keys import Role
from domain.errors import InvalidValue

router = APIRouter(prefix="/v1/subscriptions", tags=["webhooks"])
SubscriptionId = Annotated[
    str, Path(min_length=1, max_length=100, description="The subscription's id")
]
NOBODY = ""
"""The owner a caller without a key is scoped to: no subscription has it."""


class SubscriptionCreatingRoute(SecretIssuingRoute):
    """The signing secret is in the first answer only; a repeat answers it as null."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("secret",)


def owner_scope(principal: Principal) -> str | None:
    """Whose subscriptions the caller sees: its own key's, or all of them (an admin)."""
    if principal.key is None:
        return NOBODY
    return None if principal.key.role == Role.ADMIN else principal.key.id


async def create_subscription(
    body: SubscriptionIn,
    services: ServicesDep,
    principal: PrincipalDep,
    response: Response,
    _claim: ClaimDep,
) -> CreatedSubscriptionOut:
    """Deliveries start with the first event recorded after this answer, or after the
    position ``after`` names (0: the whole log from its start)."""
    assert principal.key is not None
    owner = principal.key.id
    chosen = FeedFilter.of(
        [a.value for a in body.filter.authorities],
        body.filter.programs,
        [k.value for k in body.filter.kinds],
    )

    def create() -> CreatedSubscriptionOut:
        last = services.ledger.last_position()
        if body.after is not None and body.after > last:
            raise InvalidValue(f"after {body.after} is beyond the log's last position {last}")
        start = last if body.after is None else body.after
        created = services.subscriptions.create(owner, body.url, chosen, body.description, start)
        return CreatedSubscriptionOut.created(created)

    answer = await blocking(create)
    response.headers["Location"] = f"/v1/subscriptions/{answer.id}"
    return answer


router.add_api_route(
    "",
    create_subscription,
    methods=["POST"],
    status_code=status.HTTP_201_CREATED,
    response_model=CreatedSubscriptionOut,
    responses=PROBLEM_RESPONSES,
    dependencies=[WRITE],
    summary="Subscribe a URL to the feed of changes; the signing secret is shown only here",
    route_class_override=SubscriptionCreatingRoute,
)


@router.get(
    "",
    dependencies=[READ],
    response_model=SubscriptionList,
    summary="The caller's subscriptions (every one, for an admin)",
)
async def list_subscriptions(services: ServicesDep, principal: PrincipalDep) -> SubscriptionList:
    found = await blocking(services.subscriptions.all, owner_scope(principal))
    return SubscriptionList(items=[SubscriptionOut.of(s) for s in found])


@router.get(
    "/{subscription_id}",
    dependencies=[READ],
    response_model=SubscriptionOut,
    responses=PROBLEM_RESPONSES,
    summary="One subscription: its status, cursor, failures and last error",
)
async def get_subscription(
    subscription_id: SubscriptionId, services: ServicesDep, principal: PrincipalDep
) -> SubscriptionOut:
    found = await blocking(services.subscriptions.get, subscription_id, owner_scope(principal))
    return SubscriptionOut.of(found)


@router.delete(
    "/{subscription_id}",
    dependencies=[WRITE],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=PROBLEM_RESPONSES,
    summary="Delete a subscription and its delivery log; deliveries to it stop",
)
async def delete_subscription(
    subscription_id: SubscriptionId, services: ServicesDep, principal: PrincipalDep
) -> Response:
    await blocking(services.subscriptions.delete, subscription_id, owner_scope(principal))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def resume_subscription(
    subscription_id: SubscriptionId,
    services: ServicesDep,
    principal: PrincipalDep,
    _claim: ClaimDep,
) -> SubscriptionOut:
    """A paused subscription carries on from its cursor: nothing is skipped."""
    resumed = await blocking(services.subscriptions.resume, subscription_id, owner_scope(principal))
    return SubscriptionOut.of(resumed)


router.add_api_route(
    "/{subscription_id}/resumption",
    resume_subscription,
    methods=["POST"],
    response_model=SubscriptionOut,
    responses=PROBLEM_RESPONSES,
    dependencies=[WRITE],
    summary="Resume a paused subscription from where it stopped",
    route_class_override=IdempotentRoute,
)


@router.get(
    "/{subscription_id}/deliveries",
    dependencies=[READ],
    response_model=DeliveryPage,
    responses=PROBLEM_RESPONSES,
    summary="The delivery log: every attempt, oldest first",
)
async def list_deliveries(
    subscription_id: SubscriptionId,
    services: ServicesDep,
    principal: PrincipalDep,
    after: Annotated[
        int, Query(ge=0, le=2**63 - 1, description="Continue after this attempt's seq")
    ] = 0,
    limit: Limit = None,
) -> DeliveryPage:
    size = page_size(services.settings, limit)
    found, next_after = await blocking(
        services.subscriptions.deliveries, subscription_id, owner_scope(principal), after, size
    )
    return DeliveryPage(items=[DeliveryOut.of(d) for d in found], next_after=next_after)
