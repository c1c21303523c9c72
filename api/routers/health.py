"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.auth import PUBLIC
from api.deps import LedgerDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    position: int


@router.get(
    "/health",
    response_model=Health,
    summary="Whether the ledger answers",
    dependencies=[PUBLIC],
)
def health(ledger: LedgerDep) -> Health:
    return Health(status="ok", position=ledger.last_position())
