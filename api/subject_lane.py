"""The busiest read, a subject as it stands now, answered without the framework's routing.

``GET /v1/subjects/{id}`` with no query string is most of what clients ask. Through FastAPI
it passes six middleware layers, the router's walk over every route, the solving of the
route's parameters and its access policy, and the endpoint's response object: together
several times the cost of the read itself (a profile under load put the read at a quarter
of the request). This layer, just inside the request log (``api.access_log``, so the
request still has its id, its metrics and its access line), answers that one request
itself when everything about it is plain:

- the method is ``GET``, the path is ``/v1/subjects/`` and a UUID in its canonical form,
  and there is no query string and no ``If-None-Match``;
- the ``Authorization`` header carries a key that the process's key cache verifies from
  memory (``application.keys.Keys.cached``), of a role the route's policy admits;
- the views can answer at the end of the log (``Reader.subject_now``);
- the key's rate limit has room.

Anything else (no key or an unknown one, a stale cache, a stopped or lagging view, a
subject the views cannot compose, a refusal, an error of the store) goes on to the app
unchanged, which answers it in full, refusals and problem documents included. The layer
never refuses or fails a request itself, so every answer it gives is one the route would
give (``tests/api/test_subject_lane.py`` compares the two).
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import READ_POLICY, api_routes
from api.blocking import short_read
from api.json_answers import encode_bytes
from api.limits import rate_limiter
from api.routers.subjects import get_subject
from application.bootstrap import Services
from application.keys import KeyRefused

PREFIX = "/v1/subjects/"
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TOKEN = re.compile(rb"Bearer ([A-Za-z0-9_-]+)")
BODY_HEADERS = frozenset({b"content-length", b"transfer-encoding"})
"""A GET that announces a body is left to the app, whose body limit may refuse it."""


class SubjectLane:
    """Answers a plain ``GET /v1/subjects/{id}`` at now itself; passes on every other
    request, and every such request it cannot answer in full, to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._route: APIRoute | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self._answer(scope) if _plain(scope) else None
        if answer is None:
            await self.app(scope, receive, send)
            return
        body, version = answer
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(body)).encode("ascii")),
                    (b"content-type", b"application/json"),
                    (b"etag", f'"{version}"'.encode("ascii")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope) -> tuple[bytes, int] | None:
        """The answer's body and the subject's version, or ``None``: the app answers."""
        token = _bearer(scope)
        if token is None:
            return None
        app: Any = scope["app"]
        services: Services = app.state.services
        try:
            key = services.keys.cached(token)
        except KeyRefused:
            return None
        if key is None or not READ_POLICY.admits(key.role, services.settings.public_reads):
            return None
        subject_id = scope["path"][len(PREFIX) :]
        try:
            now = await short_read(
                services.reads_in_process, services.reader.subject_now, UUID(subject_id), None
            )
        except Exception:  # the app meets the same error, and answers it as a problem
            return None
        if now is None:
            return None
        try:
            rate_limiter(app, services.settings).take(key.id)
        except HTTPException:  # the app refuses it the same way, with its problem document
            return None
        scope["route"] = self._subject_route(app)
        document, version = now
        return encode_bytes(document), version

    def _subject_route(self, app: Any) -> APIRoute | None:
        """The route this layer stands in for, which the metrics name the request by."""
        if self._route is None:
            for context in api_routes(app):
                route = context.original_route
                if isinstance(route, APIRoute) and route.endpoint is get_subject:
                    self._route = route
        return self._route


def _plain(scope: Scope) -> bool:
    """A request this layer may answer, by its method, path, query and headers alone."""
    if scope["type"] != "http" or scope["method"] != "GET" or scope.get("query_string"):
        return False
    path: str = scope["path"]
    if not path.startswith(PREFIX) or not CANONICAL_UUID.fullmatch(path, len(PREFIX)):
        return False
    return all(
        name != b"if-none-match" and (name not in BODY_HEADERS or value == b"0")
        for name, value in scope["headers"]
    )


def _bearer(scope: Scope) -> str | None:
    """The token of the one ``Authorization: Bearer`` header, when it is sent in the plain
    form keys have; ``None`` for any other, which the app's policy reads."""
    found = [value for name, value in scope["headers"] if name == b"authorization"]
    match = TOKEN.fullmatch(found[0]) if len(found) == 1 else None
    return match[1].decode("ascii") if match else None
