"""A log line for every denied request and every failed write: who, what and why.

Denied: ``401``, ``403``, ``413`` and ``429``, whatever the method. Failed writes: any other
answer of ``400`` or more to a method that is not a read. Each line names the caller by key
id and name (or, for a key that did not authenticate, the id the token claims), the method
and path, the status and the problem document's ``detail``. It never holds the secret: the
``Authorization`` header is not logged, only the public id parsed out of it.

Every request also gets one access line (``request``: method, path, status, client, time);
uvicorn's own access log, which writes the path and query string as sent, is off.

A caller may put a secret anywhere in a URL (``?api_key=``, ``?name=``, a path segment), so
no line holds the URL as sent. Paths are logged segment by segment: a word of the app's own
routes or an id of the ledger's shapes (a UUID, a measure or event id, a key id, a number)
as it is, anything else as ``*``. Of the query string only the parameter names the app
declares are logged, never a value. No header but the claimed key id is logged (no
``Referer``, no ``User-Agent``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from time import perf_counter
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import structlog
from fastapi.dependencies.utils import get_dependant
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logging import request_lines
from api.request_id import HEADER_NAME, RequestContext, enter, leave, request_id_of
from application.keys import key_id_of

if TYPE_CHECKING:
    from api.metrics import Metrics

DENIED = frozenset({401, 403, 413, 429})
READS = frozenset({"GET", "HEAD", "OPTIONS"})
KEPT_BODY = 4096
HIDDEN = "*"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# Subject, measure and event ids, key ids, numbers: ids are public, secrets have none of
# these shapes.
LEDGER_ID = re.compile(rf"{UUID}(?:[.@][0-9]{{1,9}})?|[0-9a-f]{{16}}|[0-9]{{1,12}}")


class RequestLog:
    """The outermost layer of the app, once around each request: its id (``api.request_id``),
    its time and status counted in the metrics (``api.metrics``), and its log lines.

    One pure ASGI layer wrapping ``send`` once, where three would each wrap it again: every
    layer costs the event loop a coroutine and a closure per request. It sits outside
    Starlette's own error handler (``api.main``), so that an unexpected ``500`` carries the
    id, is counted, and has its access line.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = RequestContext(request_id_of(scope))
        token = enter(context)
        bound = structlog.contextvars.bind_contextvars(request_id=context.request_id)
        id_header = (HEADER_NAME, context.request_id.encode("ascii"))
        status = 500  # unless an answer starts: an exception that escapes every handler
        body = bytearray()

        async def answered(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = int(message["status"])
                headers = message.setdefault("headers", [])
                if not isinstance(headers, list):
                    headers = message["headers"] = list(headers)
                headers.append(id_header)
            elif kind == "http.response.body" and status >= 400:
                body.extend(message.get("body", b"")[: KEPT_BODY - len(body)])
            await send(message)

        started = perf_counter()
        try:
            await self.app(scope, receive, answered)
        finally:
            seconds = perf_counter() - started
            try:
                self.metrics.observe(scope, status, seconds, context.problem)
                _log_request(scope, status, seconds, bytes(body))
            finally:
                structlog.contextvars.reset_contextvars(**bound)
                leave(token)


def _log_request(scope: Scope, status: int, seconds: float, body: bytes) -> None:
    method = scope["method"]
    log = request_lines()
    log.info(
        "request",
        method=method,
        path=safe_path(scope),
        status=status,
        client=_client(scope),
        ms=round(seconds * 1000, 1),
    )
    if status in DENIED:
        log.warning("request denied", **_line(scope, status, body))
    elif status >= 400 and method not in READS:
        # A 503 says the database or the views are away for now, not that the ledger
        # failed: a warning, so that alerts go to what is actually down.
        level = log.warning if status == 503 else log.error if status >= 500 else log.info
        level("write failed", **_line(scope, status, body))


def _line(scope: Scope, status: int, body: bytes) -> dict[str, Any]:
    return {
        **_caller(scope),
        "method": scope["method"],
        "path": safe_path(scope),
        "status": status,
        "reason": _detail(body),
    }


def safe_path(scope: Scope) -> str:
    """The request's path and query parameter names, with nothing a caller typed that the app
    does not know: what an access line may show."""
    words, parameters = _known_words(scope)
    segments = [
        segment if segment in words or LEDGER_ID.fullmatch(segment) else HIDDEN
        for segment in scope["path"].split("/")
    ]
    query = scope.get("query_string", b"").decode("latin-1")
    names = [
        name if name in parameters else HIDDEN
        for name, _ in parse_qsl(query, keep_blank_values=True)
    ]
    return "/".join(segments) + ("?" + "&".join(names) if names else "")


def _known_words(scope: Scope) -> tuple[frozenset[str], frozenset[str]]:
    """The literal path segments and the query parameter names of the app's routes, worked
    out once per app, from the routes as their routers declared them. Each of those was
    built once per process, when its module was imported; FastAPI builds an app's own copy
    of every route it includes only as requests come to need it (some 150 ms for all of the
    ledger's), and an access line need not have it build them all."""
    app = scope.get("app")
    if app is None:
        return frozenset(), frozenset()
    known: tuple[frozenset[str], frozenset[str]] | None = getattr(app.state, "log_words", None)
    if known is None:
        words: set[str] = set()
        names: set[str] = set()
        _declared_words(app.routes, words, names)
        known = frozenset(words), frozenset(names)
        app.state.log_words = known
    return known


def _declared_words(routes: Iterable[Any], words: set[str], names: set[str]) -> None:
    for route in routes:
        included = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if included is not None and context is not None:  # a router, as the app included it
            words.update(_segments(context.prefix))
            for dependency in context.dependencies:
                names.update(_dependency_params(dependency.dependency))
            _declared_words(included.routes, words, names)
            continue
        words.update(_segments(getattr(route, "path_format", getattr(route, "path", ""))))
        dependant = getattr(route, "dependant", None)
        if dependant is not None:
            names.update(field.alias for field in _query_params([dependant]))


@functools.cache
def _dependency_params(call: Callable[..., Any]) -> frozenset[str]:
    """The query parameters of a dependency that an inclusion adds to each of its routes."""
    return frozenset(field.alias for field in _query_params([get_dependant(path="", call=call)]))


def _segments(path: str) -> Iterator[str]:
    return (segment for segment in path.split("/") if "{" not in segment)


def _query_params(dependants: Iterable[Any]) -> Iterator[Any]:
    for dependant in dependants:
        yield from dependant.query_params
        yield from _query_params(dependant.dependencies)


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else None


def _caller(scope: Scope) -> dict[str, Any]:
    principal = scope.get("state", {}).get("principal")
    if principal is not None:
        label: dict[str, Any] = principal.label
        return label
    authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    scheme, _, token = authorization.partition(" ")
    claimed = key_id_of(token.strip()) if scheme.lower() == "bearer" else None
    return {"key_id": claimed, "key_name": None, "authenticated": False}


def _detail(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    detail = document.get("detail") if isinstance(document, dict) else None
    return None if detail is None else str(detail)[:500]
