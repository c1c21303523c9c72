"""Dependencies the routers ask for by type: the running services and who is asking."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from application.bootstrap import Services
from application.ledger import Ledger
from domain.values import Actor


def get_services(request: Request) -> Services:
    services = request.app.state.services
    assert isinstance(services, Services)
    return services


def get_ledger(services: Annotated[Services, Depends(get_services)]) -> Ledger:
    return services.ledger


def get_actor() -> Actor:
    """Who records a write."""
    return Actor(id="anonymous", name="anonymous")


ServicesDep = Annotated[Services, Depends(get_services)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
ActorDep = Annotated[Actor, Depends(get_actor)]
