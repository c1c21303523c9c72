"""The query parameters every read shares: the read point in both times, and paging."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from api.deps import ServicesDep
from api.schemas.common import Moment
from application.reading import Reader, ReadPoint, decode_cursor
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


def get_reader(services: ServicesDep) -> Reader:
    return services.reader


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


def list_request(
    services: ServicesDep,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    min_position: MinPosition = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> ListRequest:
    """A list read: its point, or the point its cursor pinned, and the page wanted."""
    size = page_size(services.settings, limit)
    if cursor is not None:
        after, point = decode_cursor(cursor)
        return ListRequest(services.reader.pinned(point), after, size)
    return ListRequest(services.reader.point(as_of, known_at, min_position), None, size)


def read_point(
    reader: ReaderDep,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    min_position: MinPosition = None,
) -> ReadPoint:
    return reader.point(as_of, known_at, min_position)


ListRequestDep = Annotated[ListRequest, Depends(list_request)]
ReadPointDep = Annotated[ReadPoint, Depends(read_point)]
