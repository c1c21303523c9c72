"""The busiest writes, a subject's registration and its measures, answered without the
framework's routing.

An import or an operator's tool records subjects and their measures one request at a time.
Through FastAPI each such write passes the middleware, the router, the solving of its
dependencies (the key, the Idempotency-Key, the If-Match header, the body) and the
idempotent route's wrapping: together more of the event loop's time than the write's own
checks (a profile under load). This layer, beside the read lanes (``api.lanes``), records a
plain write itself:

- ``POST /v1/subjects``, or ``POST /v1/subjects/{id}/designations``, ``/visa-bans`` or
  ``/investment-restrictions`` with the id in its canonical form; no query string;
- a body of ``application/json`` with its length declared (no more than 64 kB, nor than the
  app's limit), which the
  request guard accepts (``api.request_guard``: acceptable text, no key named twice) and
  the route's own model validates;
- no ``Idempotency-Key`` and no ``If-Match`` (their claims and checks stay the app's);
- a key the process's cache verifies, of a role the write policy admits, and room in its
  rate limit.

The write is then made on the body's command, as the route makes it, but queued from the
event loop rather than handed to a worker thread (``api.awaited_writes``). It is answered by
the same functions: ``receipt_answer``, and for a write the ledger refuses or cannot make,
the app's own exception handler for the error. Anything else goes on to the app unchanged,
the body it read handed on as it came (``tests/api/test_write_lane.py`` compares the
answers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import awaited_writes
from api.auth import WRITE_POLICY
from api.lanes import CANONICAL_UUID, RouteOf, admitted_caller, has_room
from api.limits import max_body_bytes
from api.request_guard import NOT_JSON, DuplicateKey, check_json
from api.routers.measures import designate, restrict_investment, visa_ban
from api.routers.subjects import register_subject
from api.routing import receipt_answer
from api.schemas.measures import DesignationIn, InvestmentRestrictionIn, VisaBanIn
from api.schemas.subjects import SubjectIn
from domain.errors import InvalidValue

MAX_BODY = 65536
MEASURES = re.compile(
    rf"/v1/subjects/({CANONICAL_UUID})/(designations|visa-bans|investment-restrictions)"
)
MEASURE_MODELS: dict[str, tuple[type[Any], Callable[..., Any]]] = {
    "designations": (DesignationIn, designate),
    "visa-bans": (VisaBanIn, visa_ban),
    "investment-restrictions": (InvestmentRestrictionIn, restrict_investment),
}
PASSED_HEADERS = frozenset({b"idempotency-key", b"if-match", b"transfer-encoding"})


class WriteLane:
    """Records a plain registration or measure itself; passes on every other request, and
    every such request it cannot take in full, to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.routes = {
            endpoint: RouteOf(endpoint)
            for endpoint in (register_subject, *(e for _, e in MEASURE_MODELS.values()))
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        write = _write_of(scope)
        if write is None:
            await self.app(scope, receive, send)
            return
        messages, body = await _body(receive, write.length)
        response = None if body is None else await self._answer(scope, receive, write, body)
        if response is None:
            await self.app(scope, _replaying(messages, receive), send)
            return
        await response(scope, receive, send)

    async def _answer(
        self, scope: Scope, receive: Receive, write: _Write, body: bytes
    ) -> Response | None:
        """The write's answer, or ``None``: the app answers (nothing was recorded)."""
        caller = admitted_caller(scope, WRITE_POLICY)
        order = _order(write, body) if caller is not None else None
        if order is None or caller is None or not has_room(scope, caller):
            return None
        self.routes[write.endpoint].name(scope)
        ledger, actor = caller.services.ledger, caller.key.actor
        try:
            # A value the command's domain refuses is refused like any other write.
            receipt = await awaited_writes.execute(ledger, order(), actor)
        except Exception as error:  # refused, or not made: the app's handler answers it
            return await _handled(scope, receive, error)
        if write.subject_id is None:
            return receipt_answer(receipt, {"Location": f"/v1/subjects/{receipt.subject_ids[0]}"})
        return receipt_answer(receipt)


@dataclass(frozen=True)
class _Write:
    """What the path and headers ask: which write, and the body's declared length."""

    model: type[Any]
    endpoint: Callable[..., Any]
    subject_id: UUID | None
    length: int


def _write_of(scope: Scope) -> _Write | None:
    if scope["type"] != "http" or scope["method"] != "POST" or scope.get("query_string"):
        return None
    path: str = scope["path"]
    if path == "/v1/subjects":
        model, endpoint, subject_id = SubjectIn, register_subject, None
    else:
        found = MEASURES.fullmatch(path)
        if found is None:
            return None
        model, endpoint = MEASURE_MODELS[found[2]]
        subject_id = UUID(found[1])
    length, content_type = None, None
    for name, value in scope["headers"]:
        if name in PASSED_HEADERS:
            return None
        if name == b"content-length":
            length = value if length is None else b""
        elif name == b"content-type":
            content_type = value if content_type is None else b""
    if content_type != b"application/json" or length is None or not length.isdigit():
        return None
    size = int(length)
    # Above the app's own limit too, the app refuses it (413) before reading it.
    fits = 0 < size <= min(MAX_BODY, max_body_bytes(scope))
    return _Write(model, endpoint, subject_id, size) if fits else None


async def _body(receive: Receive, length: int) -> tuple[list[Message], bytes | None]:
    """The messages received, and the body they make where it comes as declared (else
    ``None``: the app is handed the same messages, and reads the rest itself)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None  # a disconnect: the app meets it too
        size += len(message.get("body", b""))
        if size > length:
            return messages, None
        if not message.get("more_body", False):
            if size != length:
                return messages, None
            return messages, b"".join(m.get("body", b"") for m in messages)


def _order(write: _Write, body: bytes) -> Callable[[], Any] | None:
    """What makes the route's command from the body, where the request guard and the route's
    model take the body; ``None`` for the app to refuse it."""
    try:
        document = check_json(body)
    except (InvalidValue, DuplicateKey):
        return None
    if document is NOT_JSON:
        return None
    try:
        validated: Any = write.model.model_validate(document)
    except ValidationError:
        return None
    if write.subject_id is None:
        return validated.to_command  # type: ignore[no-any-return]
    subject_id = write.subject_id
    return lambda: validated.to_command(subject_id, None)


async def _handled(scope: Scope, receive: Receive, error: Exception) -> Response:
    """The app's answer to ``error``, by its exception handler for the nearest type."""
    handlers = scope["app"].exception_handlers
    handler = next(handlers[kind] for kind in type(error).__mro__ if kind in handlers)
    response: Response = await handler(Request(scope, receive), error)
    return response


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that first gives the messages already received, in order."""
    waiting = list(messages)

    async def replay() -> Message:
        return waiting.pop(0) if waiting else await receive()

    return replay
