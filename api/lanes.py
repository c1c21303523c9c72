"""What the lanes share: the busiest requests answered just inside the request log.

A lane (``api.subject_lane``, ``api.measures_lane``, ``api.subjects_lane``,
``api.write_lane``) answers one plain kind of request itself, without FastAPI's middleware,
routing and parameter solving, and passes every other request on to the app unchanged.
Whatever a lane cannot decide by itself as the app would (a caller the key cache does not
know, a refusal of the access policy or the rate limit, an unusual parameter) goes on to the
app, which answers it in full: a lane never refuses a request itself. The two lists' first
pages share ``PageLane``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from api.access_log import UUID
from api.auth import READ_POLICY, Policy, declared_api_routes
from api.blocking import blocking
from api.json_answers import page_answer
from api.limits import rate_limiter
from api.reading import page_size
from api.schemas.common import parse_moment
from application import read_budget
from application.bootstrap import Services
from application.keys import ApiKey, KeyRefused
from application.read_points import ReadPoint
from application.reading import Reader as Views
from application.reading import TextPage
from domain.errors import InvalidValue
from domain.text import first_unacceptable

TOKEN = re.compile(rb"Bearer ([A-Za-z0-9_-]+)")
CANONICAL_UUID = UUID
"""A subject id as the ledger writes it; any other spelling is left to the app's routes."""
LIMIT = re.compile(r"[0-9]{1,9}")
ON_LOOP_SECONDS = 0.002
"""The longest a page is read on the event loop before it is read in a worker thread
instead: a first page of a thousand measures takes about 2.5 ms on 15,000 of them."""
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
            for route in declared_api_routes(scope["app"].routes):
                if route.endpoint is self.endpoint:
                    self._route = route
        scope["route"] = self._route


def _bearer(scope: Scope) -> str | None:
    """The token of the one ``Authorization: Bearer`` header, when it is sent in the plain
    form keys have; ``None`` for any other, which the app's policy reads."""
    found = [value for name, value in scope["headers"] if name == b"authorization"]
    match = TOKEN.fullmatch(found[0]) if len(found) == 1 else None
    return match[1].decode("ascii") if match else None


def plain_query(scope: Scope, taken: frozenset[str]) -> dict[str, str] | None:
    """The query's parameters, where each is one of ``taken``, named once, with a value that
    is not empty and that the request guard accepts (``api.request_guard``), decoded as the
    app decodes them; ``None`` for the app to read."""
    query: bytes = scope.get("query_string", b"")
    if not query:
        return {}
    try:
        pairs = parse_qsl(
            query.decode("ascii"),
            keep_blank_values=True,
            strict_parsing=True,
            encoding="utf-8",
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        return None
    values = dict(pairs)
    if len(values) != len(pairs) or not values.keys() <= taken:
        return None
    if any(not value or first_unacceptable(value) for value in values.values()):
        return None
    return values


def moment(value: str | None) -> datetime | None:
    """``as_of`` as the routes read it; ``ValueError`` or ``InvalidValue`` where they refuse it."""
    return None if value is None else parse_moment(value)


def limit(value: str | None) -> int | None:
    """``limit`` as the routes read it, where it is plainly written; else ``ValueError``."""
    if value is None:
        return None
    if not LIMIT.fullmatch(value) or int(value) < 1:
        raise ValueError(value)
    return int(value)


REFUSED = (ValueError, InvalidValue)
"""What reading a parameter raises where the route would refuse it."""


class PageLane:
    """A lane for the first page of a list: ``GET path`` with a plain query, the page read
    on the event loop where the store reads in process and the views are at the end of the
    log (within ``ON_LOOP_SECONDS``, enforced by SQLite: ``application.read_budget``), else
    in a worker thread as the route reads it; answered as the route answers
    (``json_answers.page_answer``)."""

    path = ""
    taken: frozenset[str] = frozenset()

    def __init__(self, app: ASGIApp, endpoint: Callable[..., Any]) -> None:
        self.app = app
        self.route = RouteOf(endpoint)

    def asked(self, values: dict[str, str]) -> Any:
        """What the query asks; raises one of ``REFUSED`` where the route refuses it."""
        raise NotImplementedError

    def read_now(self, views: Views, asked: Any, size: int) -> TextPage | None:
        """The page where the views are at the end of the log, else ``None``."""
        raise NotImplementedError

    def read_at(self, views: Views, asked: Any, size: int, point: ReadPoint) -> TextPage:
        """The page at ``point``, as the route reads it."""
        raise NotImplementedError

    def read(self, views: Views, asked: Any, size: int) -> TextPage:
        """The page as the route reads it, at the read point the route takes."""
        with views.one_connection():
            return self.read_at(views, asked, size, views.point(asked.as_of, None, None))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = None
        if plain_get(scope) and scope["path"] == self.path:
            values = plain_query(scope, self.taken)
            if values is not None:
                try:
                    asked = self.asked(values)
                except REFUSED:  # the route refuses it, with its problem document
                    asked = None
                body = None if asked is None else await self._answer(scope, asked)
        if body is None:
            await self.app(scope, receive, send)
            return
        await answer_json(send, body)

    async def _answer(self, scope: Scope, asked: Any) -> bytes | None:
        """The page's body, or ``None``: the app answers."""
        caller = admitted_caller(scope)
        if caller is None:
            return None
        try:
            size = page_size(caller.services.settings, asked.limit)
            views = caller.services.reader
            page = self._on_loop(views, asked, size) if caller.services.reads_in_process else None
            if page is None:
                page = await blocking(self.read, views, asked, size)
        except Exception:  # a limit above the maximum, an error of the store: the app's
            return None
        if not has_room(scope, caller):
            return None
        self.route.name(scope)
        return bytes(page_answer(page).body)

    def _on_loop(self, views: Views, asked: Any, size: int) -> TextPage | None:
        try:
            with read_budget.within(ON_LOOP_SECONDS):
                return self.read_now(views, asked, size)
        except read_budget.OverBudget:
            return None
