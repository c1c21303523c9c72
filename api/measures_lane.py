"""The list as of a date, ``GET /v1/measures``, answered without the framework's routing.

After a subject, the first page of the measures in force at a date is what clients ask
most. Through FastAPI, solving its nine query parameters and its access policy costs more
than reading the page (a profile under load put it at a third of the request), as FastAPI
inspects each parameter's annotation again on every request. This layer, beside the
subject's (``api.subject_lane``, and ``api.lanes`` for what they share), answers the first
page itself when the request is plain:

- a ``GET`` of ``/v1/measures`` whose query names each parameter once, only ``as_of``,
  ``limit``, ``authority``, ``kind``, ``subject_kind`` and ``program``, each with a value
  the route would take as it is (``api.lanes.plain_query``; a program of letters, digits
  and ``-_.:`` alone);
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

from starlette.types import ASGIApp

from api.lanes import PageLane, limit, moment
from api.routers.lists import list_measures
from application.read_points import ReadPoint
from application.reading import Reader, TextPage
from application.views.conditions import MeasureFilter
from domain.values import Authority, MeasureKind, SubjectKind

PLAIN_PROGRAM = re.compile(r"[A-Za-z0-9_.:-]{1,200}")


@dataclass(frozen=True)
class Asked:
    """The first page of the list, as a plain query asked for it."""

    as_of: datetime | None
    limit: int | None
    only: MeasureFilter


class MeasuresLane(PageLane):
    """Answers a plain first page of ``GET /v1/measures`` itself; passes on every other
    request, and every such request it cannot answer in full, to ``app``."""

    path = "/v1/measures"
    taken = frozenset({"as_of", "limit", "authority", "kind", "subject_kind", "program"})

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, list_measures)

    def asked(self, values: dict[str, str]) -> Asked:
        return Asked(moment(values.get("as_of")), limit(values.get("limit")), _filter(values))

    def read_now(self, views: Reader, asked: Asked, size: int) -> TextPage | None:
        return views.measure_page_now(asked.as_of, asked.only, size)

    def read_at(self, views: Reader, asked: Asked, size: int, point: ReadPoint) -> TextPage:
        """The route's own read (``api.routers.lists.list_measures``) of a first page."""
        return views.measure_texts(point, asked.only, None, size)


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
