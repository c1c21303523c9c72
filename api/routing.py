"""The shape every write endpoint shares: 201 with a receipt, problems documented."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, status

from api.errors import PROBLEM_RESPONSES
from api.schemas.writes import WriteReceiptOut

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def write_route(router: APIRouter, path: str, summary: str) -> Callable[[Endpoint], Endpoint]:
    return router.post(
        path,
        status_code=status.HTTP_201_CREATED,
        response_model=WriteReceiptOut,
        responses=PROBLEM_RESPONSES,
        summary=summary,
    )
