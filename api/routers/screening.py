"""Screening names against the ledger, at any point in both times, each answer a receipt.

``POST /v1/screenings`` takes a JSON body of up to 1,000 queries, or a CSV or JSON Lines
file of up to 100,000 rows, whose answer streams back as JSON Lines. A file is checked whole
before its first row is screened: a bad row refuses the batch with a problem document and
stores nothing, where a stream cut short would leave the client with half an answer. The
rows are then screened in chunks, each chunk in one worker-thread call, so that the answer
flows while later rows are screened and the event loop serves other requests between chunks.
The receipt is kept once the last row is answered: a client that goes away mid-stream leaves
none, as it received no whole answer.

``POST /match/{dataset}`` is yente's matching endpoint, request and response alike, so that
the screening tools written for yente work against the ledger unchanged.

A screening records no event: it is a question put to the ledger, not a fact of it. Its
receipt lives beside the ledger (``application.screening.receipts``); its id comes back in the
``X-Screening-Id`` header and in the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from api.auth import READ, PrincipalDep
from api.blocking import blocking
from api.deps import ServicesDep
from api.errors import PROBLEM_RESPONSES
from api.json_answers import documented, encode, json_answer
from api.reading import AsOf, KnownAt
from api.request_guard import NOT_JSON, read_body
from api.schemas.screening import (
    ReceiptOut,
    ReproductionOut,
    ScreeningIn,
    ScreeningOut,
    batch_queries,
)
from api.schemas.screening_clusters import CLUSTER_OPTION
from application.screening.scoring import THRESHOLD
from application.screening.service import Batch, Filters, ScreeningRequest
from domain.errors import InvalidValue
from domain.values import Authority, SubjectKind

router = APIRouter(tags=["screening"])

JSON_LINES = "application/x-ndjson"
CSV = "text/csv"
BATCH_TYPES = {CSV: CSV, JSON_LINES: JSON_LINES, "application/jsonl": JSON_LINES}
ROWS_PER_CHUNK = 500
"""Rows screened per worker-thread call while a batch streams."""
SCREENING_ID = "X-Screening-Id"
ScreeningId = Annotated[str, Path(max_length=64, description="The id a screening answered with")]
BATCH_OPTION = "For a CSV or JSON Lines body only (a JSON body carries its own)"
MAX_HITS = 100
HitLimit = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_HITS,
        description="Hits per query, at most; default 5 (for /v1/screenings, with a CSV or "
        "JSON Lines body only)",
    ),
]


def inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its nested models written in place: the body is not a
    parameter FastAPI knows (it takes three media types), so nothing puts them among the
    document's components for a reference to reach."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref", "")
            if reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


# JSON Lines bodies (application/x-ndjson) are taken too, as the description says; the
# document declares JSON and CSV only, the media types OpenAPI tools know how to send.
REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": inlined(ScreeningIn.model_json_schema())},
            CSV: {
                "schema": {"type": "string"},
                "example": "name,kind,birth_date,country,identifier\n"
                "Dmitry Yurevich Soin,person,1969-08-07,ru,\n",
            },
        },
    }
}
BATCH_ANSWER = {
    JSON_LINES: {
        "schema": {"type": "string"},
        "description": "A CSV or JSON Lines batch: first a BatchHeaderOut, then one ResultOut "
        "per row, in order, one JSON document a line",
    }
}


@router.post(
    "/v1/screenings",
    dependencies=[READ],
    response_model=None,
    responses={
        200: {
            "model": ScreeningOut,
            "description": "The hits of each query, kept as a receipt",
            "content": BATCH_ANSWER,
        },
        **PROBLEM_RESPONSES,
    },
    openapi_extra=REQUEST_BODY,
    summary="Screen names against the subjects under measures at a point in both times",
    description=(
        "A JSON body (ScreeningIn) of up to 1,000 queries answers with one JSON document. "
        "A CSV body (Content-Type: text/csv; a header row naming the columns name, and "
        "optionally kind, birth_date, country, identifier) or a JSON Lines body "
        "(application/x-ndjson; one query object a line) of up to 100,000 rows answers as "
        "JSON Lines: a header with the screening's id, read point and signed checkpoint, "
        "then one result per row; the read point and options then come as query parameters. "
        "A batch is checked whole first: one bad row refuses it, and nothing is kept. Every "
        "screening is kept as a receipt (GET /v1/screenings/{screening_id})."
    ),
)
async def screen(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    threshold: Annotated[float | None, Query(ge=0, le=1, description=BATCH_OPTION)] = None,
    limit: HitLimit = None,
    kind: Annotated[list[SubjectKind] | None, Query(description=BATCH_OPTION)] = None,
    authority: Annotated[list[Authority] | None, Query(description=BATCH_OPTION)] = None,
    program: Annotated[list[str] | None, Query(max_length=500, description=BATCH_OPTION)] = None,
    country: Annotated[list[str] | None, Query(max_length=500, description=BATCH_OPTION)] = None,
    cluster: Annotated[bool | None, Query(description=f"{CLUSTER_OPTION}. {BATCH_OPTION}")] = None,
) -> Response:
    requested_by = None if principal.key is None else principal.key.id
    media_type = BATCH_TYPES.get(_media_type(request))
    batch_options = (as_of, known_at, threshold, limit, kind, authority, program, country, cluster)
    if media_type is None:
        if any(option is not None for option in batch_options):
            raise InvalidValue(
                "with a JSON body, give as_of, known_at, threshold, limit, filters and cluster "
                "in the body"
            )
        asked = _screening_in(_json_document(request))
        answer = await blocking(services.screening.screen, _request_of(asked), requested_by)
        return json_answer(answer, headers={SCREENING_ID: answer["screening_id"]})
    queries = batch_queries(_text(await request.body()), media_type)
    screening = ScreeningRequest(
        queries=(),
        as_of=as_of,
        known_at=known_at,
        threshold=THRESHOLD if threshold is None else threshold,
        limit=hits_per_query(limit),
        filters=Filters(
            kinds=tuple(k.value for k in kind or ()),
            authorities=tuple(a.value for a in authority or ()),
            programs=tuple(program or ()),
            countries=tuple(country or ()),
        ),
        cluster=bool(cluster),
    )
    batch = await blocking(services.screening.screen_rows, queries, screening, requested_by)
    return StreamingResponse(
        _lines(batch), media_type=JSON_LINES, headers={SCREENING_ID: batch.header["screening_id"]}
    )


def hits_per_query(limit: int | None) -> int:
    if limit is None:
        return 5
    if limit > MAX_HITS:
        raise InvalidValue(f"limit {limit} is above the {MAX_HITS} hits a query may have")
    return limit


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidValue(f"the body is not valid UTF-8 (byte {error.start})") from None


def _json_document(request: Request) -> Any:
    """The JSON body, as the request guard parsed it."""
    found = read_body(request.scope)
    if found is None or found.document is NOT_JSON:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "the body is not JSON", "type": "json_invalid"}]
        )
    return found.document


def _screening_in(document: Any) -> ScreeningIn:
    """The body as the model reads it; refused as FastAPI refuses a body it validates."""
    try:
        return ScreeningIn.model_validate(document)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def _request_of(asked: ScreeningIn) -> ScreeningRequest:
    return ScreeningRequest(
        queries=asked.to_queries(),
        as_of=asked.as_of,
        known_at=asked.known_at,
        threshold=asked.threshold,
        limit=asked.limit,
        filters=Filters(
            kinds=tuple(kind.value for kind in asked.filters.kinds),
            authorities=tuple(authority.value for authority in asked.filters.authorities),
            programs=tuple(asked.filters.programs),
            countries=tuple(asked.filters.countries),
        ),
        cluster=asked.cluster,
    )


async def _lines(batch: Batch) -> AsyncIterator[bytes]:
    yield (encode(batch.header) + "\n").encode()
    while chunk := await blocking(_next_lines, batch.results):
        yield chunk


def _next_lines(results: Iterator[dict[str, Any]]) -> bytes:
    """The next rows' results as JSON Lines; empty once the last is answered (and the
    receipt kept)."""
    return "".join(encode(result) + "\n" for result in islice(results, ROWS_PER_CHUNK)).encode()


@router.get(
    "/v1/screenings/{screening_id}",
    dependencies=[READ],
    response_model=None,
    responses={**documented(ReceiptOut), **PROBLEM_RESPONSES},
    summary="A screening's receipt: what was asked, at which point, and what it answered",
)
async def receipt(services: ServicesDep, screening_id: ScreeningId) -> Response:
    return json_answer(await blocking(services.screening.receipt, screening_id))


@router.get(
    "/v1/screenings/{screening_id}/reproduction",
    dependencies=[READ],
    response_model=None,
    responses={**documented(ReproductionOut), **PROBLEM_RESPONSES},
    summary="A screening redone at its own read point, and whether it answers the same",
)
async def reproduction(services: ServicesDep, screening_id: ScreeningId) -> Response:
    return json_answer(await blocking(services.screening.reproduce, screening_id))
