"""Liveness and readiness.

``/health`` says the process answers and reads the log's end (so a database that is down
answers 503). ``/ready`` says whether this process should be sent reads now: the database
answers, the views are not stopped at an event they could not project, and they are not
further behind the log than ``LEDGER_READY_MAX_LAG_EVENTS`` events or
``LEDGER_READY_MAX_LAG_SECONDS`` (the age of the oldest event they do not reflect yet). It
reports the lag either way, in its 503 problem document too.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth import PUBLIC
from api.deps import LedgerDep, ServicesDep
from api.errors import PROBLEM_BASE, problem
from application.monitoring import Lag, views_lag
from application.reading import ViewsStalled
from application.settings import Settings

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    position: int


class Readiness(BaseModel):
    status: Literal["ready"]
    position: int
    views_position: int
    views_lag: int
    views_lag_seconds: float | None
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
    responses={
        503: {"description": "The database is unavailable, or the views stopped or lag too far"}
    },
)
def ready(services: ServicesDep) -> Readiness | JSONResponse:
    lag = views_lag(services.ledger, services.views, services.ledger.clock())
    failure = services.projector.failure if services.keeps_views else None
    if failure is not None:
        raise ViewsStalled(f"{failure.describe()}; see the README's 'When the views stop'")
    settings = services.settings
    too_far = _too_far(lag, settings)
    if too_far:
        response = problem(
            503,
            "The views lag too far behind the log",
            f"{too_far}; is a projection worker running? ('ledger project')",
            PROBLEM_BASE + "views-lagging",
            instance="/ready",
            position=lag.position,
            views_position=lag.views_position,
            views_lag=lag.events,
            views_lag_seconds=lag.seconds,
        )
        response.headers["Retry-After"] = "1"
        return response
    return Readiness(
        status="ready",
        position=lag.position,
        views_position=lag.views_position,
        views_lag=lag.events,
        views_lag_seconds=lag.seconds,
        projections=settings.projections,
    )


def _too_far(lag: Lag, settings: Settings) -> str | None:
    """Why the lag is past the configured limits, if it is."""
    limit = settings.ready_max_lag_events
    if limit is not None and lag.events > limit:
        return f"the views are {lag.events} events behind the log (the limit is {limit})"
    seconds = settings.ready_max_lag_seconds
    if lag.seconds is not None and lag.seconds > seconds:
        return (
            f"the oldest event the views do not reflect was recorded {lag.seconds:.1f} s ago "
            f"(the limit is {seconds:g} s)"
        )
    return None
