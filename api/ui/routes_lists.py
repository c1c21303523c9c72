"""The list as of a date, and the difference between two dates, each as a page and as CSV
and JSON downloads of the whole answer.

The list is the reader's measures in force (``GET /v1/measures``); the difference is the
reader's delta between two effective dates as known at one recorded time (``GET
/v1/changes?effective_since=&effective_until=``), narrowed to the filters asked.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.reading import get_reader
from api.ui.downloads import CHANGE_COLUMNS, MEASURE_COLUMNS, csv_answer, json_download
from api.ui.forms import AUTHORITIES
from api.ui.pages import read_or_refusal
from api.ui.policy import UI, SessionDep
from api.ui.rendering import moment, pin, point_params, render
from application.read_points import ReadPoint
from application.reading import Reader
from application.views.conditions import MeasureFilter
from domain.errors import InvalidValue
from domain.values import MeasureKind

router = APIRouter(include_in_schema=False)
PAGE = 200
CHUNK = 1000
MOST = 200_000
"""The most rows a download holds: more than any published list."""
KINDS = tuple(kind.value for kind in MeasureKind)


def _filter(authority: str | None, program: str | None, kind: str | None) -> MeasureFilter:
    return MeasureFilter(authority=authority or None, program=program or None, kind=kind or None)


def _measures(
    reader: Reader, point: ReadPoint, only: MeasureFilter, after: str | None, most: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``most`` measures after ``after``, and the id to continue after if more."""
    items: list[dict[str, Any]] = []
    while len(items) < most:
        size = min(CHUNK, most - len(items))
        page = reader.measures(point, only, after, size)
        items.extend(page.items)
        if page.next_cursor is None:
            return items, None
        after = items[-1]["measure_id"]
    return items, after


def _suffix(request: Request) -> str:
    """The answer's form, from the path: a page, ``.csv`` or ``.json``."""
    path = request.url.path
    return next((end for end in (".csv", ".json") if path.endswith(end)), "")


@router.get("/ui/list", dependencies=[UI])
@router.get("/ui/list.csv", dependencies=[UI])
@router.get("/ui/list.json", dependencies=[UI])
async def list_page(
    request: Request,
    session: SessionDep,
    authority: str | None = None,
    program: str | None = None,
    kind: str | None = None,
    after: str | None = None,
    as_of: str | None = None,
    known_at: str | None = None,
) -> Response:
    suffix = _suffix(request)
    reader = await get_reader(request)
    redirect = await pin(request, reader)
    if redirect is not None:
        return redirect
    only = _filter(authority, program, kind)
    most = PAGE if suffix == "" else MOST

    def read() -> tuple[ReadPoint, list[dict[str, Any]], str | None]:
        point = reader.point(moment(as_of, "as_of"), known_at or None)
        items, more = _measures(reader, point, only, after or None, most)
        return point, items, more

    found = await read_or_refusal(request, session, read)
    if isinstance(found, Response):
        return found
    point, items, more = found
    if suffix == ".csv":
        return csv_answer(MEASURE_COLUMNS, items, "list.csv")
    if suffix == ".json":
        return json_download({**point.describe(), "items": items}, "list.json")
    context = {
        "point": point,
        "params": point_params(point),
        "items": items,
        "more": more,
        "asked": {"authority": authority, "program": program, "kind": kind},
        "authorities": AUTHORITIES,
        "kinds": KINDS,
    }
    return render(request, "list.html", context, session)


def _changes(
    reader: Reader, first: ReadPoint, second: ReadPoint, only: MeasureFilter
) -> list[dict[str, Any]]:
    """Every entry of the delta between the two points that the filters keep."""
    kept: list[dict[str, Any]] = []
    after = ""
    while len(kept) < MOST:
        items = reader.delta(first, second, after, CHUNK)
        kept.extend(item for item in items if _kept(item, only))
        if len(items) < CHUNK:
            break
        after = items[-1]["key"]
    return kept


def _kept(item: dict[str, Any], only: MeasureFilter) -> bool:
    """A measure's entry within the filters (either side of it); a subject's entry only
    when no filter is asked, since a subject has no authority, program or kind of measure."""
    if not (only.authority or only.program or only.kind):
        return True
    document = item["after"] or item["before"] or {}
    if item["entity"] != "measure":
        return False
    return (
        (only.authority is None or document.get("authority") == only.authority)
        and (only.kind is None or document.get("kind") == only.kind)
        and (only.program is None or only.program in document.get("programs", []))
    )


@router.get("/ui/changes", dependencies=[UI])
@router.get("/ui/changes.csv", dependencies=[UI])
@router.get("/ui/changes.json", dependencies=[UI])
async def changes_page(
    request: Request,
    session: SessionDep,
    since: str | None = None,
    until: str | None = None,
    authority: str | None = None,
    program: str | None = None,
    kind: str | None = None,
    known_at: str | None = None,
) -> Response:
    suffix = _suffix(request)
    asked = {"authority": authority, "program": program, "kind": kind}
    choices: dict[str, Any] = {"asked": asked, "authorities": AUTHORITIES, "kinds": KINDS}
    if suffix == "" and not since and not until:
        context = {**choices, "items": None, "since": None, "until": None}
        return render(request, "changes.html", context, session)
    reader = await get_reader(request)
    redirect = await pin(request, reader, needs=("known_at",))
    if redirect is not None:
        return redirect
    only = _filter(authority, program, kind)

    def read() -> tuple[ReadPoint, ReadPoint, list[dict[str, Any]]]:
        start, end = moment(since, "since"), moment(until, "until")
        if start is None or end is None:
            raise InvalidValue("choose both dates: since and until")
        first = reader.point(start, known_at or None)
        second = ReadPoint(end, first.known_at, first.position)
        return first, second, _changes(reader, first, second, only)

    found = await read_or_refusal(request, session, read)
    if isinstance(found, Response):
        return found
    first, second, items = found
    if suffix == ".csv":
        return csv_answer(CHANGE_COLUMNS, items, "changes.csv")
    if suffix == ".json":
        answer = {"since": first.describe(), "until": second.describe(), "items": items}
        return json_download(answer, "changes.json")
    counts = {change: sum(1 for i in items if i["change"] == change) for change in _CHANGES}
    context = {**choices, "since": first, "until": second, "items": items, "counts": counts}
    return render(request, "changes.html", context, session)


_CHANGES = ("added", "modified", "removed")
