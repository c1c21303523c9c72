"""The shape every write endpoint shares: 201 with a receipt, problems documented, the
operator policy (``api.auth``) and the Idempotency-Key (``api.idempotency``); and how the
app serves each module's routes.

A write endpoint answers with ``receipt_answer``: the receipt serialized once, where a
returned model would be dumped, validated against the route's ``response_model`` again and
then serialized by FastAPI. The route still declares ``WriteReceiptOut`` for the OpenAPI
document."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, Response, status
from fastapi.params import Depends

from api.auth import WRITE
from api.errors import PROBLEM_RESPONSES
from api.idempotency import IdempotentRoute
from api.json_answers import JSON
from api.schemas.writes import WriteReceiptOut
from application.receipts import WriteReceipt

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def write_route(
    router: APIRouter, path: str, summary: str, policy: Depends = WRITE
) -> Callable[[Endpoint], Endpoint]:
    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(
            path,
            endpoint,
            methods=["POST"],
            status_code=status.HTTP_201_CREATED,
            response_model=WriteReceiptOut,
            responses=PROBLEM_RESPONSES,
            summary=summary,
            dependencies=[policy],
            route_class_override=IdempotentRoute,
        )
        return endpoint

    return register


def receipt_answer(receipt: WriteReceipt, headers: Mapping[str, str] | None = None) -> Response:
    """``201`` with the write's receipt, as ``WriteReceiptOut`` writes it."""
    body = WriteReceiptOut.json_of(receipt)
    return Response(body, status_code=status.HTTP_201_CREATED, media_type=JSON, headers=headers)


def serve_as_declared(target: APIRouter, router: APIRouter) -> None:
    """Serve the router's routes from ``target`` (an app's router, or one that gathers
    others) as their module built them, once per process. Included, each would be copied for
    every app, and FastAPI builds a copy (its dependencies analysed, its response models
    compiled) on the first request that routing passes it by: some 150 ms for all of the
    ledger's on each new app. Including would change nothing else of these routes, which
    are included with no prefix, tags, dependencies or overrides of the app's."""
    assert not any(getattr(route, "original_router", None) for route in router.routes), (
        "a router that includes others is included, so that their settings apply"
    )
    target.routes.extend(router.routes)
