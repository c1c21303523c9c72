"""The query parameters every read shares: the read point in both times, and paging.

The dependencies here only take the parameters apart, on the event loop: what they ask is
resolved against the database by the endpoint, in the one worker-thread call that does all
of the request's blocking work (``ReadAsked.resolve``, ``ListAsked.resolve``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from api.schemas.common import Moment
from application.read_points import ReadPoint, decode_cursor
from application.reading import Reader
from application.settings import Settings
from domain.errors import InvalidValue

AsOf = Annotated[
    Moment | None,
    Query(description="Effective time: what was legally in force then. Default: now"),
]
KnownAt = Annotated[
    str | None,
    Query(
        description="Recorded time: what the ledger knew then, as an ISO timestamp or "
        "'position:N' (the log up to position N). Default: now",
        examples=["2022-01-20T00:00:00Z", "position:120"],
        max_length=64,
    ),
]
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**63 - 1,
        description="Answer only once the views reflect at least this log position (the "
        "position a write answered with): read your own writes",
    ),
]
Cursor = Annotated[
    str | None,
    Query(max_length=2000, description="The next_cursor of the previous page"),
]
Limit = Annotated[int | None, Query(ge=1, description="Page size; default 100, at most 1000")]


async def get_reader(request: Request) -> Reader:
    """The reader, straight from the app's services rather than through ``ServicesDep``:
    FastAPI's resolving of each dependency costs the event loop more than this lookup."""
    reader = request.app.state.services.reader
    assert isinstance(reader, Reader)
    return reader


ReaderDep = Annotated[Reader, Depends(get_reader)]


@dataclass(frozen=True)
class ListRequest:
    point: ReadPoint
    after: str | None
    limit: int


def page_size(settings: Settings, limit: int | None) -> int:
    """The page size asked for, refusing one above the configured maximum."""
    size = limit or settings.page_size_default
    if size > settings.page_size_max:
        raise InvalidValue(f"limit {size} is above the maximum page size {settings.page_size_max}")
    return size


@dataclass(frozen=True)
class ReadAsked:
    """The read point a request asked for, not yet resolved against the log."""

    as_of: datetime | None
    known_at: str | None
    min_position: int | None

    def resolve(self, reader: Reader) -> ReadPoint:
        """Blocking: call it in the request's worker-thread call."""
        return reader.point(self.as_of, self.known_at, self.min_position)


@dataclass(frozen=True)
class ListAsked:
    """A list read as asked: its point, or the cursor that pinned one, and the page size."""

    point: ReadAsked
    cursor: str | None
    limit: int

    def resolve(self, reader: Reader) -> ListRequest:
        """Blocking: call it in the request's worker-thread call."""
        if self.cursor is not None:
            after, point = decode_cursor(self.cursor)
            return ListRequest(reader.pinned(point), after, self.limit)
        return ListRequest(self.point.resolve(reader), None, self.limit)


async def list_request(
    request: Request,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    min_position: MinPosition = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> ListAsked:
    """A list read: its point, or the point its cursor pinned, and the page wanted."""
    size = page_size(request.app.state.services.settings, limit)
    return ListAsked(ReadAsked(as_of, known_at, min_position), cursor, size)


ListRequestDep = Annotated[ListAsked, Depends(list_request)]
