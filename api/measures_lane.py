"""The list as of a date, ``GET /v1/measures``, answered without the framework's routing.

After a subject, the first page of the measures in force at a date is what clients ask
most. Through FastAPI, solving its nine query parameters and its access policy costs more
than reading the page (a profile under load put it at a third of the request), as FastAPI
inspects each parameter's annotation again on every request. This layer, beside the
subject's (``api.subject_lane``, and ``api.lanes`` for what they share), answers the first
page itself when the request is plain:

- a ``GET`` of ``/v1/measures`` whose query names each parameter once, only ``as_of``,
  ``limit``, ``authority``, ``kind``, ``subject_kind`` and ``program``, each with a value
  the route would take as it is, written with letters, digits and ``-_.:`` alone (no
  percent-encoding, nothing for the route to decode differently);
- a key the process's cache verifies, of a role the read policy admits;
- a read point the views reach, and room in the key's rate limit.

Anything else (a cursor, ``known_at``, ``min_position``, ``cluster``, a value the route
would refuse, an error of the store) goes on to the app unchanged. The page is read and
written by the same calls as the route's (``Reader.point``, ``Reader.measure_texts``,
``json_answers.page_answer``), so the answers are the same bytes
(``tests/api/test_measures_lane.py`` compares them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from starlette.types import ASGIApp, Receive, Scope, Send

from api.blocking import blocking
from api.json_answers import page_answer
from api.lanes import Caller, RouteOf, admitted_caller, answer_json, has_room, plain_get
from api.reading import page_size
from api.routers.lists import list_measures
from api.schemas.common import parse_moment
from application import read_budget
from application.reading import TextPage
from application.views.queries import MeasureFilter
from domain.errors import InvalidValue
from domain.values import Authority, MeasureKind, SubjectKind

PATH = "/v1/measures"
PLAIN_QUERY = re.compile(rb"[A-Za-z0-9_.:=&-]*")
PLAIN_PROGRAM = re.compile(r"[A-Za-z0-9_.:-]{1,200}")
LIMIT = re.compile(r"[0-9]{1,9}")
TAKEN = frozenset({"as_of", "limit", "authority", "kind", "subject_kind", "program"})
ON_LOOP_SECONDS = 0.002
"""The longest a page is read on the event loop before it is read in a worker thread
instead: a first page of a thousand rows takes about 2.5 ms on 15,000 measures."""


@dataclass(frozen=True)
class Asked:
    """The first page of the list, as a plain query asked for it."""

    as_of: datetime | None
    limit: int | None
    only: MeasureFilter


class MeasuresLane:
    """Answers a plain first page of ``GET /v1/measures`` itself; passes on every other
    request, and every such request it cannot answer in full, to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.route = RouteOf(list_measures)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = _asked(scope) if plain_get(scope) and scope["path"] == PATH else None
        body = None if asked is None else await self._answer(scope, asked)
        if body is None:
            await self.app(scope, receive, send)
            return
        await answer_json(send, body)

    async def _answer(self, scope: Scope, asked: Asked) -> bytes | None:
        """The page's body, or ``None``: the app answers."""
        caller = admitted_caller(scope)
        if caller is None:
            return None
        try:
            page = _read_on_loop(caller, asked) if caller.services.reads_in_process else None
            if page is None:
                page = await blocking(_read, caller, asked)
        except Exception:  # a limit above the maximum, an error of the store: the app's
            return None
        if not has_room(scope, caller):
            return None
        self.route.name(scope)
        return bytes(page_answer(page).body)


def _read_on_loop(caller: Caller, asked: Asked) -> TextPage | None:
    """The page read on the event loop, where the store reads in process, the views are at
    the end of the log and the read takes less than ``ON_LOOP_SECONDS``; else ``None``, and
    it is read in a worker thread."""
    size = page_size(caller.services.settings, asked.limit)
    try:
        with read_budget.within(ON_LOOP_SECONDS):
            return caller.services.reader.measure_page_now(asked.as_of, asked.only, size)
    except read_budget.OverBudget:
        return None


def _read(caller: Caller, asked: Asked) -> TextPage:
    """The route's own read (``api.routers.lists.list_measures``) of a first page."""
    size = page_size(caller.services.settings, asked.limit)
    views = caller.services.reader
    point = views.point(asked.as_of, None, None)
    return views.measure_texts(point, asked.only, None, size)


def _asked(scope: Scope) -> Asked | None:
    """What the query asks, where it is plain; ``None`` for the app to read."""
    query: bytes = scope.get("query_string", b"")
    if not PLAIN_QUERY.fullmatch(query):
        return None
    values: dict[str, str] = {}
    for pair in query.decode("ascii").split("&") if query else ():
        name, equals, value = pair.partition("=")
        if not equals or not value or name not in TAKEN or name in values:
            return None
        values[name] = value
    try:
        return Asked(
            as_of=None if "as_of" not in values else parse_moment(values["as_of"]),
            limit=_limit(values.get("limit")),
            only=_filter(values),
        )
    except (ValueError, InvalidValue):  # the route refuses it, with its problem document
        return None


def _limit(value: str | None) -> int | None:
    if value is None:
        return None
    if not LIMIT.fullmatch(value) or int(value) < 1:
        raise ValueError(value)
    return int(value)


def _filter(values: dict[str, str]) -> MeasureFilter:
    program = values.get("program")
    if program is not None and not PLAIN_PROGRAM.fullmatch(program):
        raise ValueError(program)
    authority, kind = values.get("authority"), values.get("kind")
    subject_kind = values.get("subject_kind")
    return MeasureFilter(
        authority=None if authority is None else Authority(authority).value,
        program=program,
        kind=None if kind is None else MeasureKind(kind).value,
        subject_kind=None if subject_kind is None else SubjectKind(subject_kind).value,
    )
