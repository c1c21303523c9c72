"""Liveness and readiness.

``/health`` says the process answers and reads the log's end (so a database that is down
answers 503). ``/ready`` says whether this process can serve reads now: the database
answers, and the views are not stopped at an event they could not project; it reports how far
the views lag behind the log either way.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from api.auth import PUBLIC
from api.deps import LedgerDep, ServicesDep
from application.reading import ViewsStalled

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    position: int


class Readiness(BaseModel):
    status: Literal["ready"]
    position: int
    views_position: int
    views_lag: int
    projections: Literal["inline", "external"]


@router.get(
    "/health",
    response_model=Health,
    summary="Whether the ledger answers",
    dependencies=[PUBLIC],
)
def health(ledger: LedgerDep) -> Health:
    return Health(status="ok", position=ledger.last_position())


@router.get(
    "/ready",
    response_model=Readiness,
    summary="Whether the ledger can serve reads now, and how far its views lag",
    dependencies=[PUBLIC],
    responses={503: {"description": "The database is unavailable or the views stopped"}},
)
def ready(services: ServicesDep) -> Readiness:
    position = services.ledger.last_position()
    views_position = services.views.position()
    failure = services.projector.failure if services.keeps_views else None
    if failure is not None:
        raise ViewsStalled(f"{failure.describe()}; see the README's 'When the views stop'")
    return Readiness(
        status="ready",
        position=position,
        views_position=views_position,
        views_lag=max(position - views_position, 0),
        projections=services.settings.projections,
    )
