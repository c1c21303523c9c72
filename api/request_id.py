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

A new id is 32 hex digits, as a UUID's: this process's random prefix (64 bits) and a counter
(``9f3c1a2b7d4e8a01`` ``0000000000001a2f``). Unique across processes and restarts, and a few
times cheaper than a ``uuid4`` per request, which asks the operating system for randomness
every time.

The ids are given by the outermost layer of the app (``api.access_log.RequestLog``), outside
Starlette's own error handler (see ``api.main``), so that an unexpected ``500`` carries the id
too.
"""

from __future__ import annotations

import itertools
import os
import re
from contextvars import ContextVar, Token
from dataclasses import dataclass

from starlette.types import Scope

HEADER = "X-Request-ID"
HEADER_NAME = HEADER.lower().encode("ascii")
WELL_FORMED = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:-]{0,39}")


@dataclass(slots=True)
class RequestContext:
    """What the outer middlewares learn about a request while it is served."""

    request_id: str
    problem: str | None = None
    """The slug of the problem type the request was answered with, if it was refused."""


_current: ContextVar[RequestContext | None] = ContextVar("ledger_request", default=None)


def enter(context: RequestContext) -> Token[RequestContext | None]:
    """Make ``context`` the current request's, until ``leave`` with the token returned."""
    return _current.set(context)


def leave(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


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
    for name, value in scope["headers"]:
        if name == HEADER_NAME:
            if isinstance(value, bytes) and WELL_FORMED.fullmatch(value):
                return value.decode("ascii")
            break
    return new_request_id()


class _Ids:
    """A random prefix per process and a counter (``next`` on it is thread safe in CPython).
    A forked process draws a prefix of its own."""

    def __init__(self) -> None:
        self.renew()
        os.register_at_fork(after_in_child=self.renew)

    def renew(self) -> None:
        self.prefix = os.urandom(8).hex()
        self.counter = itertools.count(1)

    def next(self) -> str:
        return f"{self.prefix}{next(self.counter):016x}"


_ids = _Ids()


def new_request_id() -> str:
    return _ids.next()
