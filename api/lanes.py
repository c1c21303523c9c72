"""What the read lanes share: the busiest reads answered just inside the request log.

A lane (``api.subject_lane``, ``api.measures_lane``) answers one plain kind of read itself,
without FastAPI's middleware, routing and parameter solving, and passes every other request
on to the app unchanged. Whatever a lane cannot decide by itself as the app would (a caller
the key cache does not know, a refusal, an error, an unusual parameter) goes on to the app,
which answers it in full: a lane never refuses or fails a request itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import Scope, Send

from api.auth import READ_POLICY, Policy, api_routes
from api.limits import rate_limiter
from application.bootstrap import Services
from application.keys import ApiKey, KeyRefused

TOKEN = re.compile(rb"Bearer ([A-Za-z0-9_-]+)")
BODY_HEADERS = frozenset({b"content-length", b"transfer-encoding"})
"""A GET that announces a body is left to the app, whose body limit may refuse it."""


def plain_get(scope: Scope) -> bool:
    """An HTTP ``GET`` with no body announced and no ``If-None-Match``, which a lane may
    answer by its path and query."""
    return (
        scope["type"] == "http"
        and scope["method"] == "GET"
        and all(
            name != b"if-none-match" and (name not in BODY_HEADERS or value == b"0")
            for name, value in scope["headers"]
        )
    )


@dataclass(frozen=True)
class Caller:
    """A caller the lane may answer: the app's services, and the key it verified."""

    services: Services
    key: ApiKey


def admitted_caller(scope: Scope, policy: Policy = READ_POLICY) -> Caller | None:
    """The caller, where its key is one the process's cache verifies from memory, of a role
    the policy admits; ``None`` for any other, which the app's policy answers."""
    token = _bearer(scope)
    if token is None:
        return None
    services: Services = scope["app"].state.services
    try:
        key = services.keys.cached(token)
    except KeyRefused:
        return None
    if key is None or not policy.admits(key.role, services.settings.public_reads):
        return None
    return Caller(services, key)


def has_room(scope: Scope, caller: Caller) -> bool:
    """Takes one request from the key's rate limit; ``False`` where it has no room left (the
    app refuses it the same way, with its problem document)."""
    try:
        rate_limiter(scope["app"], caller.services.settings).take(caller.key.id)
    except HTTPException:
        return False
    return True


async def answer_json(send: Send, body: bytes, *headers: tuple[bytes, bytes]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", str(len(body)).encode("ascii")),
                (b"content-type", b"application/json"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RouteOf:
    """The route a lane stands in for, found once, which the metrics name a request by."""

    def __init__(self, endpoint: Callable[..., Any]) -> None:
        self.endpoint = endpoint
        self._route: APIRoute | None = None

    def name(self, scope: Scope) -> None:
        if self._route is None:
            for context in api_routes(scope["app"]):
                route = context.original_route
                if isinstance(route, APIRoute) and route.endpoint is self.endpoint:
                    self._route = route
        scope["route"] = self._route


def _bearer(scope: Scope) -> str | None:
    """The token of the one ``Authorization: Bearer`` header, when it is sent in the plain
    form keys have; ``None`` for any other, which the app's policy reads."""
    found = [value for name, value in scope["headers"] if name == b"authorization"]
    match = TOKEN.fullmatch(found[0]) if len(found) == 1 else None
    return match[1].decode("ascii") if match else None
