"""Dependencies the routers ask for by type: the running services and who is asking.

They are all coroutines that do no blocking work: FastAPI runs a plain function dependency
in a worker thread, a hop per dependency per request. A request's blocking work happens in
one worker-thread call, made by its endpoint (``Writer.record`` for writes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from api.auth import REALM, PrincipalDep
from api.blocking import blocking
from api.idempotency import IdempotencyKeyHeader, claim, idempotency_request
from application.bootstrap import Services
from application.commands import Command, RecordAction
from application.idempotency import IdempotentRequest
from application.ledger import Ledger
from application.receipts import WriteReceipt
from domain.values import Actor


async def get_services(request: Request) -> Services:
    services = request.app.state.services
    assert isinstance(services, Services)
    return services


async def get_ledger(services: Annotated[Services, Depends(get_services)]) -> Ledger:
    return services.ledger


async def get_actor(principal: PrincipalDep) -> Actor:
    """Who records a write: the caller's API key, by its id and name."""
    if principal.key is None:
        raise HTTPException(401, "writes need an API key", {"WWW-Authenticate": REALM})
    return principal.key.actor


ServicesDep = Annotated[Services, Depends(get_services)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
ActorDep = Annotated[Actor, Depends(get_actor)]


Order = Callable[[], Command | RecordAction]


@dataclass(frozen=True)
class Writer:
    """The ledger's write door for one request: its caller, and its Idempotency-Key."""

    request: Request
    ledger: Ledger
    actor: Actor
    attempt: IdempotentRequest | None

    def execute(self, order: Order) -> WriteReceipt:
        """Claim the Idempotency-Key (or answer with the response kept for it), make the
        command and record it: blocking, all of it."""
        taken = claim(self.request, self.attempt)
        return self.ledger.execute(order(), self.actor, taken)

    async def record(self, order: Order) -> WriteReceipt:
        """``execute`` in a worker thread: the write's one hop off the event loop. The
        command is made there too, after the claim, so that a refusal in making it is kept
        for repeats like any other refusal."""
        return await blocking(self.execute, order)


async def get_writer(
    request: Request, principal: PrincipalDep, idempotency_key: IdempotencyKeyHeader = None
) -> Writer:
    """The write door, made in one dependency rather than one per part (the ledger, the
    actor, the Idempotency-Key): FastAPI resolves each dependency afresh on every request."""
    services: Services = request.app.state.services
    actor = await get_actor(principal)
    attempt = await idempotency_request(request, principal, idempotency_key)
    return Writer(request, services.ledger, actor, attempt)


WriterDep = Annotated[Writer, Depends(get_writer)]
