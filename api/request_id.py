"""A request id for every request: in its answer, its problem document and its log lines.

The id is the caller's own ``X-Request-ID`` when it is well formed (1 to 40 letters, digits,
``.``, ``_``, ``:`` or ``-``, starting with a letter or digit: a UUID, a ULID, a trace id),
so that a client or a gateway can follow one request through its own logs and ours; anything
else is replaced by a new id. The length is capped below that of a key's secret, so an id
can never carry one into a log line.

The id is bound in structlog's context variables for the length of the request, so every
line logged while serving it (the access line, a refusal, an error, in the event loop or in
a worker thread, which inherits the context) carries ``request_id``. ``api.errors.problem``
puts it in every problem document as ``request_id``, and the answer carries it back as
``X-Request-ID``. The request's ``RequestContext`` also records the problem type it was
answered with, for the metrics (``api.metrics``).

The middleware is outside everything else, Starlette's own error handler included (see
``api.main``), so that an unexpected ``500`` carries the id too.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
WELL_FORMED = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:-]{0,39}")


@dataclass
class RequestContext:
    """What the outer middlewares learn about a request while it is served."""

    request_id: str
    problem: str | None = None
    """The slug of the problem type the request was answered with, if it was refused."""


_current: ContextVar[RequestContext | None] = ContextVar("ledger_request", default=None)


def current_request() -> RequestContext | None:
    return _current.get()


def current_request_id() -> str | None:
    context = _current.get()
    return None if context is None else context.request_id


def note_problem(slug: str) -> None:
    """Remember the problem type the current request is answered with. The context is
    shared by reference, so this reaches the middleware from any task or thread."""
    context = _current.get()
    if context is not None:
        context.problem = slug


def request_id_of(scope: Scope) -> str:
    """The caller's id if it is well formed, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            if isinstance(value, bytes) and WELL_FORMED.fullmatch(value):
                return value.decode("ascii")
            break
    return uuid.uuid4().hex


class RequestIds:
    """Pure ASGI: no task or thread of its own, nothing but a context variable per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = RequestContext(request_id_of(scope))
        token = _current.set(context)
        bound = structlog.contextvars.bind_contextvars(request_id=context.request_id)

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = context.request_id
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            structlog.contextvars.reset_contextvars(**bound)
            _current.reset(token)
