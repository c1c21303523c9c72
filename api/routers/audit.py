"""For auditors: what changed between two points, and the raw log.

Each endpoint does its blocking work in one worker-thread call and writes its JSON itself
(``api.json_answers``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.auth import AUDIT, READ
from api.blocking import blocking
from api.deps import ServicesDep
from api.errors import PROBLEM_RESPONSES
from api.json_answers import documented, json_answer
from api.reading import AsOf, Cursor, KnownAt, Limit, ReaderDep, page_size
from api.schemas.reads import ChangePage, EventPage
from application.changes import delta_cursor, read_delta_cursor
from application.event_log import read_log
from application.read_points import ReadPoint
from application.reading import Reader
from domain.errors import InvalidValue

router = APIRouter(tags=["audit"])
RecordedTime = Annotated[
    str | None,
    Query(max_length=64, description="An ISO timestamp or 'position:N'", examples=["position:0"]),
]


@router.get(
    "/v1/changes",
    dependencies=[READ],
    response_model=None,
    responses={**documented(ChangePage), **PROBLEM_RESPONSES},
    summary="What changed between two recorded times, or between two effective dates",
    description=(
        "With since/until (recorded times): the ledger's list as it stood at since compared "
        "with the list as it stood at until, like a list publisher's delta file. With "
        "effective_since/effective_until (effective dates): what came into or went out of "
        "force between the two dates, as known at known_at."
    ),
)
async def list_changes(
    services: ServicesDep,
    reader: ReaderDep,
    since: RecordedTime = None,
    until: RecordedTime = None,
    effective_since: AsOf = None,
    effective_until: AsOf = None,
    known_at: KnownAt = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Response:
    size = page_size(services.settings, limit)
    if cursor is None and effective_since is None and effective_until is None:
        if since is None:
            raise InvalidValue(
                "give since (and optionally until), or effective_since/effective_until"
            )
    elif cursor is None and (since is not None or until is not None):
        raise InvalidValue("give either since/until or effective_since/effective_until")

    def read() -> dict[str, Any]:
        return _changes(
            reader, since, until, effective_since, effective_until, known_at, cursor, size
        )

    return json_answer(await blocking(read))


def _changes(
    reader: Reader,
    since: str | None,
    until: str | None,
    effective_since: datetime | None,
    effective_until: datetime | None,
    known_at: str | None,
    cursor: str | None,
    size: int,
) -> dict[str, Any]:
    """The delta asked for, the request's blocking part."""
    if cursor is not None:
        after, first_state, second_state = read_delta_cursor(cursor)
        first = reader.pinned(ReadPoint.described(first_state))
        second = reader.pinned(ReadPoint.described(second_state))
    elif effective_since is not None or effective_until is not None:
        first = reader.point(effective_since, known_at)
        second = ReadPoint(effective_until or reader.ledger.clock(), first.known_at, first.position)
        after = ""
    else:
        first, second, after = reader.recorded_point(since), reader.recorded_point(until), ""
    items = reader.delta(first, second, after, size)
    next_cursor = (
        delta_cursor(items[-1]["key"], first.describe(), second.describe())
        if len(items) == size
        else None
    )
    return {
        "since": first.describe(),
        "until": second.describe(),
        "items": items,
        "next_cursor": next_cursor,
    }


@router.get(
    "/v1/events",
    dependencies=[AUDIT],
    response_model=None,
    responses={**documented(EventPage), **PROBLEM_RESPONSES},
    summary="The raw log in order, for replication and independent audit",
)
async def list_events(
    services: ServicesDep,
    after: Annotated[
        int, Query(ge=0, le=2**63 - 1, description="Continue after this position")
    ] = 0,
    limit: Limit = None,
) -> Response:
    size = page_size(services.settings, limit)

    def read() -> dict[str, Any]:
        items, next_after = read_log(services.ledger, after, size)
        return {
            "items": items,
            "next_after": next_after,
            "position": services.ledger.last_position(),
        }

    return json_answer(await blocking(read))
