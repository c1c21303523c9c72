"""The shape every write endpoint shares: 201 with a receipt, problems documented, the
operator policy (``api.auth``) and the Idempotency-Key (``api.idempotency``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, status
from fastapi.params import Depends

from api.auth import WRITE
from api.errors import PROBLEM_RESPONSES
from api.idempotency import IdempotentRoute
from api.schemas.writes import WriteReceiptOut

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
