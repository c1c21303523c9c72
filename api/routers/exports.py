"""The ledger at a read point in other formats: ``GET /v1/exports/ftm``, FollowTheMoney.

The read point is resolved before the answer starts, so a bad ``as_of`` or ``known_at`` is
a problem document, not a broken stream. The entities then stream as JSON Lines, a page of
subjects per worker-thread call, so the answer flows while later pages are read and the
event loop serves other requests between pages. The headers say the point answered for,
since every line of the body is an entity and nothing else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.auth import READ
from api.blocking import blocking
from api.deps import ServicesDep
from api.errors import PROBLEM_RESPONSES
from api.json_answers import encode
from api.reading import AsOf, KnownAt
from application.read_points import ReadPoint

if TYPE_CHECKING:  # followthemoney takes over a second to import: only an export loads it
    from application.exports.ftm import Entity

router = APIRouter(tags=["exports"], dependencies=[READ])

JSON_LINES = "application/x-ndjson"
POINT_HEADERS = ("As-Of", "Known-At", "Position")


@router.get(
    "/v1/exports/ftm",
    response_model=None,
    responses={
        200: {
            "description": "FollowTheMoney entities, one JSON object a line: each subject "
            "(Person, Organization, Company, Vessel, Airplane), its documents (Passport, "
            "Identification, CryptoWallet) and a Sanction per measure in force. The headers "
            "X-Ledger-As-Of, X-Ledger-Known-At and X-Ledger-Position name the read point.",
            "content": {JSON_LINES: {"schema": {"type": "string"}}},
        },
        **PROBLEM_RESPONSES,
    },
    summary="The ledger at as_of, as known at known_at, as FollowTheMoney entities",
)
async def export_ftm(
    services: ServicesDep, as_of: AsOf = None, known_at: KnownAt = None
) -> StreamingResponse:
    from application.exports.ftm import ftm_export

    export = ftm_export(services)
    point = await blocking(services.reader.point, as_of, known_at)
    pages = export.pages(point)
    return StreamingResponse(_lines(pages), media_type=JSON_LINES, headers=_point_headers(point))


def _point_headers(point: ReadPoint) -> dict[str, str]:
    described = point.describe()
    values = (described["as_of"], described["known_at"], str(described["position"]))
    return {f"X-Ledger-{name}": value for name, value in zip(POINT_HEADERS, values, strict=True)}


async def _lines(pages: Iterator[list[Entity]]) -> AsyncIterator[bytes]:
    while chunk := await blocking(_next_page, pages):
        yield chunk


def _next_page(pages: Iterator[list[Entity]]) -> bytes:
    """The next page's entities as JSON Lines; empty once the last page was written."""
    page = next(pages, [])
    return "".join(encode(entity) + "\n" for entity in page).encode()
