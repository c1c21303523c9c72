"""Dependencies the routers ask for by type: the running services and who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from api.auth import REALM, PrincipalDep
from api.idempotency import ClaimDep
from application.bootstrap import Services
from application.commands import Command, RecordAction
from application.idempotency import Claim
from application.ledger import Ledger, WriteReceipt
from domain.values import Actor


def get_services(request: Request) -> Services:
    services = request.app.state.services
    assert isinstance(services, Services)
    return services


def get_ledger(services: Annotated[Services, Depends(get_services)]) -> Ledger:
    return services.ledger


def get_actor(principal: PrincipalDep) -> Actor:
    """Who records a write: the caller's API key, by its id and name."""
    if principal.key is None:
        raise HTTPException(401, "writes need an API key", {"WWW-Authenticate": REALM})
    return principal.key.actor


ServicesDep = Annotated[Services, Depends(get_services)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
ActorDep = Annotated[Actor, Depends(get_actor)]


@dataclass(frozen=True)
class Writer:
    """The ledger's write door for one request: its caller, and its Idempotency-Key."""

    ledger: Ledger
    actor: Actor
    claim: Claim | None

    def execute(self, command: Command | RecordAction) -> WriteReceipt:
        return self.ledger.execute(command, self.actor, self.claim)


def get_writer(ledger: LedgerDep, actor: ActorDep, claim: ClaimDep) -> Writer:
    return Writer(ledger, actor, claim)


WriterDep = Annotated[Writer, Depends(get_writer)]
