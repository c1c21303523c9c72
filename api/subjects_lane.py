"""Name search, ``GET /v1/subjects?name=...``, answered without the framework's routing.

Screening a name by hand or from a tool is what clients ask most after a subject and the
list as of a date. This layer answers the first page of a plain search itself, as the
measures lane answers the list (``api.lanes.PageLane``): a query of ``name`` (1 to 200
characters of text the request guard accepts, percent-encoded as any client sends it),
and optionally ``as_of`` and ``limit``, each named once; a key the process's cache verifies.
Anything else (other filters, a cursor, ``known_at``, a value the route refuses) goes on to
the app unchanged. The page is read by the route's own calls (``Reader.point``,
``Reader.subject_texts``), so the answers are the same bytes
(``tests/api/test_subjects_lane.py`` compares them); on PostgreSQL first at the log's end as
last seen, which the page's own statement checks (``Reader.at_last_ends``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.types import ASGIApp

from api.lanes import PageLane, limit, moment
from api.routers.lists import list_subjects
from application.read_points import ReadPoint
from application.reading import Reader, TextPage
from application.views.conditions import SubjectFilter

LONGEST_NAME = 200
"""The route's own bound on ``name``."""


@dataclass(frozen=True)
class Asked:
    """The first page of a name search, as a plain query asked for it."""

    as_of: datetime | None
    limit: int | None
    only: SubjectFilter


class SubjectsLane(PageLane):
    """Answers the first page of a plain name search itself; passes on every other request,
    and every such request it cannot answer in full, to ``app``."""

    path = "/v1/subjects"
    taken = frozenset({"name", "as_of", "limit"})

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, list_subjects)

    def asked(self, values: dict[str, str]) -> Asked | None:
        name = values.get("name")
        if name is None or len(name) > LONGEST_NAME:
            return None
        only = SubjectFilter(name=name)
        return Asked(moment(values.get("as_of")), limit(values.get("limit")), only)

    def read_now(self, views: Reader, asked: Asked, size: int) -> TextPage | None:
        return views.subject_page_now(asked.as_of, asked.only, size)

    def read(self, views: Reader, asked: Asked, size: int) -> TextPage:
        """The page at the log's end as last seen, where the page's own statement checks
        that it still ends there (``Reader.at_last_ends``: a search's page is a few
        subjects, which that statement orders again for next to nothing), else as the route
        reads it."""
        page = views.at_last_ends(
            asked.as_of, lambda point: self.read_at(views, asked, size, point)
        )
        return page if page is not None else super().read(views, asked, size)

    def read_at(self, views: Reader, asked: Asked, size: int, point: ReadPoint) -> TextPage:
        """The route's own read (``api.routers.lists.list_subjects``) of a first page."""
        return views.subject_texts(point, asked.only, None, size)
