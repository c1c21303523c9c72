"""The ``Idempotency-Key`` header on every POST, as draft-ietf-httpapi-idempotency-key-header
describes it.

- A first request with a key is answered as usual, and its answer kept for
  ``LEDGER_IDEMPOTENCY_TTL_SECONDS`` (24 hours by default).
- A repeat with the same key, method, path and body gets that answer back (same status,
  body, ``Location``), with ``Idempotent-Replayed: true``, and records nothing.
- The same key on another request: ``422``. A repeat while the first is still being
  answered: ``409``; retry a moment later to get the first answer.

Keys are scoped to the API key that sends them, so two clients cannot collide. The header
is optional: a POST without it is simply not protected against retries. The value is an
RFC 8941 string (quoted) or, as most clients send it, the bare text; 1 to 255 visible
characters, e.g. a UUID.

Which answers are kept: everything the ledger decided, successes and refusals (a rule
violation, an unknown subject, a stale ``If-Match``), since repeating the request would be
refused the same way. Not kept, so that a retry runs again: malformed requests (``422`` from
validation), transient conflicts (``409`` ``write-conflict``: retry later) and server
errors. How a write and its kept answer stay consistent across crashes is explained in
``application.idempotency``.

Every POST route must be an ``IdempotentRoute`` (``api.routing.write_route`` makes them so);
the route-table test checks it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, ClassVar

import structlog
from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.routing import APIRoute

from api.auth import PrincipalDep
from api.blocking import blocking
from api.errors import ledger_error
from api.request_guard import NOT_JSON, read_body
from application.bootstrap import Services
from application.errors import WriteConflict
from application.idempotency import Claim, ClaimLost, IdempotentRequest, StoredResponse
from application.outages import is_unavailable
from domain.errors import LedgerError

log = structlog.get_logger("api.idempotency")
KEPT_HEADERS = ("content-type", "location", "etag")
REPLAYED = "Idempotent-Replayed"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=257,
        pattern=r"^[\x21-\x7e]+$",
        description="Send the same key with every retry of this request to have it recorded "
        "once; repeats get the first answer back for 24 hours",
        examples=['"8e03978e-40d5-43e8-bc93-6894a57f9324"'],
    ),
]


class Replay(Exception):
    """The answer kept for an earlier attempt of the same request."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("replay")
        self.stored = stored


async def idempotency_request(
    request: Request, principal: PrincipalDep, idempotency_key: IdempotencyKeyHeader = None
) -> IdempotentRequest | None:
    """The request's Idempotency-Key as the claim it will take, if it sent one."""
    if idempotency_key is None or principal.key is None:
        return None
    key = _unquoted(idempotency_key)
    read = read_body(request.scope)
    if read is not None and read.document is not NOT_JSON:
        content = _canonical(read.document)
    else:
        content = _content(await request.body())
    return IdempotentRequest(principal.key.id, key, _fingerprint(request, content))


def claim(request: Request, attempt: IdempotentRequest | None) -> Claim | None:
    """Claim the request's Idempotency-Key, or answer with the response kept for it.
    Blocking: a write calls it in the worker-thread call that records the write."""
    if attempt is None:
        return None
    services: Services = request.app.state.services
    outcome = services.idempotency.begin(attempt)
    if isinstance(outcome, StoredResponse):
        raise Replay(outcome)
    request.state.idempotency_claim = outcome
    return outcome


async def idempotency_claim(
    request: Request, attempt: Annotated[IdempotentRequest | None, Depends(idempotency_request)]
) -> Claim | None:
    """The claim taken before the endpoint runs, for endpoints that record nothing in the
    ledger's log (the keys)."""
    if attempt is None:
        return None
    return await blocking(claim, request, attempt)


ClaimDep = Annotated[Claim | None, Depends(idempotency_claim)]


def _content(body: bytes) -> str:
    try:
        return _canonical(json.loads(body))
    except ValueError:
        return body.hex()


def _canonical(document: Any) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def _fingerprint(request: Request, content: str) -> str:
    """What makes two requests the same: method, path, query and body. A JSON body counts by
    its content, so that a client re-serialising it with other spacing or key order still
    sends the same request."""
    # As ``request.url`` would give them, without building the URL.
    scope = request.scope
    path = scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    target = f"{scope['method']} {path}?{scope.get('query_string', b'').decode()}"
    return hashlib.sha256(f"{target}\n{content}".encode()).hexdigest()


def _unquoted(value: str) -> str:
    """An RFC 8941 string as the draft specifies, or the bare text most clients send."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


class IdempotentRoute(APIRoute):
    """A POST route that keeps its answer for repeats of the same Idempotency-Key."""

    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            _take_read_body(request)
            try:
                response: Response = await handler(request)
            except LedgerError as error:
                claim = _claim_of(request)
                if claim is None or isinstance(error, (WriteConflict, ClaimLost)):
                    await _release(request, claim)
                    raise
                response = await ledger_error(request, error)
            except Exception:
                await _release(request, _claim_of(request))
                raise
            await self._keep(request, response)
            return response

        return answer

    async def _keep(self, request: Request, response: Response) -> None:
        claim = _claim_of(request)
        if claim is None:
            return
        if response.status_code >= 500:
            await _release(request, claim)
            return
        headers = {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
        stored = StoredResponse(response.status_code, headers, self.kept_body(bytes(response.body)))
        services: Services = request.app.state.services
        await blocking(services.idempotency.finish, claim, stored)

    def kept_body(self, body: bytes) -> bytes:
        """The body as kept for repeats."""
        return body


class SecretIssuingRoute(IdempotentRoute):
    """A route whose answer carries a secret: repeats get the answer without it, since the
    ledger never stores a secret (only its hash)."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("token",)

    def kept_body(self, body: bytes) -> bytes:
        document = json.loads(body)
        if isinstance(document, dict):
            for name in self.SECRET_FIELDS:
                if name in document:
                    document[name] = None
        return json.dumps(document).encode()


def _take_read_body(request: Request) -> None:
    """Hand FastAPI the body and the document the request guard already read and parsed
    (``api.request_guard``), which it would otherwise read and parse again. Starlette's
    ``Request`` keeps both once read, under these names."""
    read = read_body(request.scope)
    if read is None:
        return
    request._body = read.raw
    if read.document is not NOT_JSON:
        request._json = read.document


def _claim_of(request: Request) -> Claim | None:
    claim = getattr(request.state, "idempotency_claim", None)
    return claim if isinstance(claim, Claim) else None


async def _release(request: Request, claim: Claim | None) -> None:
    if claim is None:
        return
    services: Services = request.app.state.services
    try:
        await blocking(services.idempotency.release, claim)
    except Exception as error:
        if not is_unavailable(error):
            raise
        # The database went away with the request: answer with what the request met (most
        # likely the same outage, a 503), not with this. The claim keeps the key until its
        # lease ends; a retry meanwhile is told the key is in use and to retry.
        log.warning(
            "idempotency key not released: the database is unavailable",
            error=type(error).__name__,
        )


async def replay(_request: Request, error: Exception) -> Response:
    assert isinstance(error, Replay)
    stored = error.stored
    response = Response(stored.body, status_code=stored.status, headers=stored.headers)
    response.headers[REPLAYED] = "true"
    return response


def install_idempotency(app: FastAPI) -> None:
    app.add_exception_handler(Replay, replay)
