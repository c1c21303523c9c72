"""Who may use which route: API keys, roles, and a policy declared on every route.

Deny by default. Every route declares its policy as a dependency, next to its path::

    from api.auth import ADMIN, AUDIT, PUBLIC, READ, WRITE

    @router.get("/v1/measures", dependencies=[READ])        # a read
    @router.get("/v1/events", dependencies=[AUDIT])         # the raw record
    write_route(router, "/v1/...", "...")                   # writes declare WRITE themselves

===========  ==========================================  ==============================
policy       roles                                       for
===========  ==========================================  ==============================
``PUBLIC``   anyone                                      ``/health`` and ``/ready``
``READ``     reader, auditor, operator, admin            subjects, measures, the changes
                                                         feed; anyone when
                                                         ``LEDGER_PUBLIC_READS`` is on
``AUDIT``    auditor, admin                              histories, the raw event log
``WRITE``    operator, admin                             every write of the ledger
``ADMIN``    admin                                       API keys
===========  ==========================================  ==============================

The web pages under ``/ui`` declare ``api.ui.policy.UI`` (any signed-in key) or
``UI_OPERATE`` (the roles of ``WRITE``): policies of this same kind that read a session
cookie, got by signing in with a key, instead of the ``Authorization`` header.

The OpenAPI document and its viewers (``/openapi.json``, ``/docs``, ``/redoc``) are public
too. A route that declares no policy is refused to everyone (``403``), and the route-table
test (``tests/api/test_access.py``) fails on it: a new route is never open by accident.

Keys travel as ``Authorization: Bearer sl_...``. A missing, malformed, unknown or revoked
key is ``401`` with ``WWW-Authenticate``; a valid key whose role the route does not admit is
``403``. The key's id and name become the request's principal: the actor its writes record
(``api.deps.ActorDep``) and the name its denials and failures are logged under. Each call
also draws on the key's rate limit (``api.limits``).

A key this process verified recently is checked from memory, on the event loop: no query and
no thread (``application.keys.KeyCache``). Only a key not seen yet, or a cache that has not
been confirmed within ``LEDGER_KEY_CACHE_SECONDS``, costs one trip to a thread and the
database. ``refresh_keys`` confirms the cache in the background, so that the trip is rare.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.params import Depends as DependsParam
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.security import HTTPBearer
from fastapi.security.base import SecurityBase
from starlette.exceptions import HTTPException
from starlette.types import Scope

from api.blocking import blocking
from api.limits import rate_limiter
from application.bootstrap import Services
from application.keys import ApiKey, KeyRefused, Keys, Role

log = structlog.get_logger("api.auth")

REALM = 'Bearer realm="sanctions-ledger"'
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key of the ledger, sent as `Authorization: Bearer sl_...`. Create one "
    "with `ledger keys create --role ROLE --name NAME` or `POST /v1/keys`.",
)
PUBLIC_DOCUMENTS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
"""FastAPI's own routes, which carry no dependencies: the API's description is public."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key, or nobody (``key is None``) on a public read."""

    key: ApiKey | None

    @property
    def label(self) -> dict[str, str | None]:
        """How logs name the caller: never with the secret."""
        if self.key is None:
            return {"key_id": None, "key_name": "anonymous"}
        return {"key_id": self.key.id, "key_name": self.key.name}


async def current_principal(request: Request) -> Principal:
    """The caller the route's policy admitted; a route without a policy admits nobody.
    (``async``, like every dependency here: a plain ``def`` would cost each request a trip
    to a worker thread.)"""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise HTTPException(403, "this route declares no access policy, so it is closed")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


class Policy(SecurityBase):
    """The roles a route admits. Instances are the dependencies routes declare.

    A policy is itself the route's security scheme (the bearer key, as ``BEARER`` describes
    it in the OpenAPI document) and reads the ``Authorization`` header itself, as
    ``HTTPBearer`` would: one dependency per request where a sub-dependency for the header
    would cost FastAPI a second one."""

    def __init__(self, name: str, roles: Iterable[Role], *, opened_by_public_reads: bool = False):
        self.name = name
        self.roles = frozenset(roles)
        self.opened_by_public_reads = opened_by_public_reads
        self.model = BEARER.model
        self.scheme_name = BEARER.scheme_name

    def __repr__(self) -> str:
        return f"Policy({self.name})"

    def admits(self, role: Role | None, public_reads: bool) -> bool:
        """Whether a key of ``role`` (``None``: no key at all) may use the route."""
        if role is None:
            return self.opened_by_public_reads and public_reads
        return role in self.roles

    async def __call__(self, request: Request) -> Principal:
        services: Services = request.app.state.services
        token = bearer_token(request.scope)
        if token is None:
            if not self.admits(None, services.settings.public_reads):
                raise _unauthorized(
                    "this route needs an API key, sent as 'Authorization: Bearer sl_...'", None
                )
            principal = Principal(None)
            caller = f"anonymous:{request.client.host if request.client else '-'}"
        else:
            principal = Principal(await _authenticate(services, token))
            assert principal.key is not None
            if not self.admits(principal.key.role, services.settings.public_reads):
                request.state.principal = principal
                raise HTTPException(
                    403,
                    f"a key with the role {principal.key.role.value!r} may not use this route; "
                    f"it needs one of: {', '.join(sorted(self.roles))}",
                )
            caller = principal.key.id
        request.state.principal = principal
        rate_limiter(request.app, services.settings).take(caller)
        return principal


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, read as ``HTTPBearer``
    reads it (the scheme in any case, the token stripped); ``None`` without one."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if token and scheme.lower() == "bearer" else None
    return None


class PublicPolicy:
    """Open to anyone, with or without a key (which is then not even read)."""

    name = "public"
    roles = frozenset(Role)

    def __repr__(self) -> str:
        return "Policy(public)"

    def admits(self, role: Role | None, public_reads: bool) -> bool:  # noqa: ARG002
        return True

    async def __call__(self) -> None:
        return None


async def _authenticate(services: Services, token: str) -> ApiKey:
    keys = services.keys
    try:
        key = keys.cached(token)
        if key is None:
            key = await blocking(keys.authenticate, token)
    except KeyRefused as refused:
        raise _unauthorized(refused.reason, "invalid_token") from None
    return key


async def refresh_keys(keys: Keys) -> None:
    """Read the keys' revision twice per ``cache_seconds``, for as long as the app runs, so
    that requests find the cache confirmed and never wait for the check themselves. While
    the database is away the cache goes stale, and requests check their key in the database
    (which answers 503 then)."""
    interval = keys.cache.max_age / 2
    if interval <= 0:
        return
    while True:
        try:
            await _finished_even_if_cancelled(blocking(keys.refresh))
        except Exception as error:  # the next round tries again; requests fall back meanwhile
            log.debug("keys' revision not read", error=f"{type(error).__name__}: {error}")
        await asyncio.sleep(interval)


async def _finished_even_if_cancelled(work: Awaitable[None]) -> None:
    """Await ``work``; when cancelled (the app is stopping), first let the read already
    running in its thread finish: the app closes its connections next, and a connection
    closed under a running SQLite statement crashes the process."""
    running = asyncio.ensure_future(work)
    try:
        await asyncio.shield(running)
    except asyncio.CancelledError:
        await asyncio.wait([running])
        raise


def _unauthorized(detail: str, error: str | None) -> HTTPException:
    challenge = REALM if error is None else f'{REALM}, error="{error}"'
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


PUBLIC_POLICY = PublicPolicy()
READ_POLICY = Policy(
    "read", (Role.READER, Role.AUDITOR, Role.OPERATOR, Role.ADMIN), opened_by_public_reads=True
)
AUDIT_POLICY = Policy("audit", (Role.AUDITOR, Role.ADMIN))
WRITE_POLICY = Policy("write", (Role.OPERATOR, Role.ADMIN))
ADMIN_POLICY = Policy("admin", (Role.ADMIN,))

PUBLIC = Depends(PUBLIC_POLICY)
READ = Depends(READ_POLICY)
AUDIT = Depends(AUDIT_POLICY)
WRITE = Depends(WRITE_POLICY)
ADMIN = Depends(ADMIN_POLICY)

AnyPolicy = Policy | PublicPolicy


def api_routes(app: FastAPI) -> list[RouteContext]:
    """Every API route as the app serves it, those of included routers too. FastAPI builds
    the app's own copy of each included route for this (some 150 ms for all of the ledger's
    on a new app); ``declared_api_routes`` reads the routes without."""
    return [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]


def declared_api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every API route as its router declared it, those of included routers too: each was
    built once, when its module was imported."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None and getattr(route, "include_context", None) is not None:
            yield from declared_api_routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def policy_of(route: APIRoute | RouteContext) -> AnyPolicy | None:
    """The policy a route declares, wherever in its dependencies it declares it."""
    found = [
        dependency.call
        for dependency in _flatten(route.dependant.dependencies)
        if isinstance(dependency.call, (Policy, PublicPolicy))
    ]
    return found[0] if found else None


def _flatten(dependencies: list[Any]) -> Iterable[Any]:
    for dependency in dependencies:
        yield dependency
        yield from _flatten(dependency.dependencies)


def _declares_policy(route: APIRoute) -> bool:
    """Remembered on the route itself (routes are not hashable), so that each request does
    not walk the route's dependencies again."""
    declared: bool | None = getattr(route, "_declares_policy", None)
    if declared is None:
        declared = policy_of(route) is not None
        route._declares_policy = declared  # type: ignore[attr-defined]
    return declared


async def refuse_undeclared(request: Request) -> None:
    """Applied to every route: one that declares no policy is refused to everyone."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and not _declares_policy(route):
        raise HTTPException(403, "this route declares no access policy, so it is closed")


DECLARED: DependsParam = Depends(refuse_undeclared)
