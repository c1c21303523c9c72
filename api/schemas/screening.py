"""What screening asks and answers over HTTP: the ledger's own shape, and yente's.

``/v1/screenings`` takes names (or whole queries) and a read point in both times and answers
with the hits and a receipt's id. ``/match/{dataset}`` takes and answers exactly what yente's
endpoint of that name does (its ``EntityMatchQuery`` and ``EntityMatchResponse``), so that a
tool written for yente screens against the ledger unchanged; anything the ledger adds (the
receipt's id, the read point) travels in fields such tools ignore.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError

from api.schemas.common import Moment, Strict
from api.schemas.proofs import CheckpointOut
from api.schemas.screening_clusters import CLUSTER_OPTION, ClusterHitFields
from application.screening.model import Query
from application.screening.scoring import THRESHOLD
from domain.errors import InvalidValue
from domain.text import check_all_text, check_text
from domain.values import Authority, SubjectKind

MAX_QUERIES = 1000
"""Queries in one JSON body; larger batches come as CSV or JSON Lines."""
MAX_BATCH_ROWS = 100_000
"""Rows in one CSV or JSON Lines body."""
MAX_NAME = 500
ShortValue = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Values = Annotated[list[ShortValue], Field(default_factory=list, max_length=50)]
Threshold = Annotated[
    float, Field(ge=0, le=1, description="The lowest score a hit may have (0 to 1)")
]
HitLimit = Annotated[int, Field(ge=1, le=100, description="Hits per query, at most")]


def screened_name(value: str, where: str) -> str:
    """A name without its surrounding blanks; a blank one is refused, since it would match
    nothing and silently answer 'no hit'. (A rule, not the schema's: the schema can say a
    name is not empty, not that it is not blank.)"""
    name = value.strip()
    if not name:
        raise InvalidValue(f"{where}: the name is blank")
    return name


Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME, examples=["Dmitry Yurevich Soin"])]


class QueryIn(Strict):
    """One thing to screen: a name, or identifiers, and whatever else is known."""

    name: Name | None = None
    kind: SubjectKind | None = None
    birth_dates: Values = Field(
        default_factory=list, description="As known: '1969-08-07', '1969-08' or '1969'"
    )
    countries: Values = Field(
        default_factory=list, description="Nationalities and countries of address"
    )
    identifiers: Values = Field(
        default_factory=list,
        description="Passport, IMO, registration or tax numbers; a query needs a name, or "
        "at least one identifier",
    )

    def to_query(self, where: str) -> Query:
        """The query screened, ``where`` naming it in a refusal."""
        if self.name is None and not self.identifiers:
            raise InvalidValue(f"{where}: a query needs a name or at least one identifier")
        return Query(
            name=None if self.name is None else screened_name(self.name, where),
            kind=None if self.kind is None else self.kind.value,
            birth_dates=tuple(self.birth_dates),
            countries=tuple(self.countries),
            identifiers=tuple(self.identifiers),
        )


class FiltersIn(Strict):
    kinds: list[SubjectKind] = Field(default_factory=list, max_length=4)
    authorities: list[Authority] = Field(default_factory=list, max_length=20)
    programs: Values = Field(default_factory=list)
    countries: Values = Field(default_factory=list)


class ScreeningIn(Strict):
    """Names, or whole queries (one of the two), and the point in both times to screen
    them at."""

    queries: list[QueryIn] | None = Field(default=None, min_length=1, max_length=MAX_QUERIES)
    names: list[Name] | None = Field(default=None, min_length=1, max_length=MAX_QUERIES)
    as_of: Moment | None = Field(
        default=None, description="Effective time: who was sanctioned then. Default: now"
    )
    known_at: Annotated[str, Field(max_length=64)] | None = Field(
        default=None,
        description="Recorded time: as the ledger knew then, an ISO timestamp or 'position:N'",
    )
    threshold: Threshold = THRESHOLD
    limit: HitLimit = 5
    filters: FiltersIn = Field(default_factory=FiltersIn)
    cluster: bool = Field(default=False, description=CLUSTER_OPTION)

    def to_queries(self) -> tuple[Query, ...]:
        """The queries screened; refused unless exactly one of names and queries is given."""
        if (self.queries is None) == (self.names is None):
            raise InvalidValue("give either queries or names, not both")
        if self.names is not None:
            return tuple(
                Query(name=screened_name(name, f"names.{number}"))
                for number, name in enumerate(self.names)
            )
        return tuple(
            query.to_query(f"queries.{number}") for number, query in enumerate(self.queries or ())
        )


class ReadPointOut(BaseModel):
    as_of: datetime
    known_at: str = Field(description="'now', an ISO timestamp or 'position:N', as asked")
    position: int = Field(description="The log position the screening read")


class MeasureInForceOut(BaseModel):
    measure_id: str
    authority: str
    kind: str
    programs: list[str]


class HitOut(ClusterHitFields):
    subject_id: str
    kind: str
    primary_name: str | None
    matched_name: str | None = Field(description="The name or alias that matched, as recorded")
    name_type: str | None
    score: float = Field(ge=0, le=1)
    features: dict[str, float] = Field(description="What the score was made of, each 0 to 1")
    measures: list[MeasureInForceOut] = Field(description="The measures in force at the point")


class QueryOut(BaseModel):
    name: str | None
    kind: str | None
    birth_dates: list[str]
    countries: list[str]
    identifiers: list[str]


class ResultOut(BaseModel):
    query: QueryOut
    hits: list[HitOut]


class FiltersOut(BaseModel):
    kinds: list[str]
    authorities: list[str]
    programs: list[str]
    countries: list[str]


class BatchHeaderOut(BaseModel):
    """The first line of a batch's answer (JSON Lines); one ``ResultOut`` per row follows."""

    screening_id: str = Field(description="The receipt's id: GET /v1/screenings/{id}")
    created_at: datetime
    read_point: ReadPointOut
    checkpoint: CheckpointOut = Field(description="The log's signed checkpoint at the position")
    threshold: float
    limit: int
    filters: FiltersOut
    cluster: bool = Field(default=False, description=CLUSTER_OPTION)


class ScreeningOut(BatchHeaderOut):
    results: list[ResultOut] = Field(description="One per query, in order")


class ScreeningRequestOut(BaseModel):
    threshold: float
    limit: int
    filters: FiltersOut
    cluster: bool = False
    queries: list[QueryOut]
    read_point: ReadPointOut


class ReceiptOut(ScreeningOut):
    request: ScreeningRequestOut = Field(description="What was asked")


class ReproductionOut(BaseModel):
    screening_id: str
    same: bool = Field(description="Whether the screening, redone at its point, answers the same")
    read_point: ReadPointOut
    results: list[ResultOut] = Field(description="The screening's results, redone")
    original_results: list[ResultOut]


# yente's /match ------------------------------------------------------------------------------


class EntityExample(BaseModel):
    """yente's query example: an entity of FollowTheMoney's model."""

    id: str | None = Field(default=None, max_length=200, examples=["my-entity-id"])
    schema_: str = Field(alias="schema", max_length=100, examples=["Person"])
    properties: dict[str, str | list[str]] = Field(
        examples=[
            {"name": ["Dmitry Yurevich Soin"], "birthDate": ["1969-08-07"], "nationality": ["ru"]}
        ],
    )

    model_config = {"populate_by_name": True}

    def values(self, *names: str) -> list[str]:
        """The values of the named properties, as a list whichever way each was given."""
        found: list[str] = []
        for name in names:
            value = self.properties.get(name, [])
            found.extend([value] if isinstance(value, str) else value)
        return found


class EntityMatchQuery(BaseModel):
    weights: dict[str, float] = Field(
        default_factory=dict, description="Accepted for yente's clients; the ledger has one scorer"
    )
    config: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="Accepted for yente's clients; not used"
    )
    queries: dict[str, EntityExample] = Field(max_length=MAX_QUERIES)


class TotalSpec(BaseModel):
    value: int
    relation: str = "eq"


class ScoredEntityResponse(BaseModel):
    id: str
    caption: str
    schema_: str = Field(alias="schema")
    properties: dict[str, list[str]]
    datasets: list[str] = Field(description="The authorities whose measures are in force")
    referents: list[str] = Field(description="The subject's references, AUTHORITY:ID")
    target: bool
    first_seen: datetime | None
    last_seen: datetime | None
    last_change: datetime | None
    score: float
    features: dict[str, float]
    match: bool


class EntityMatches(BaseModel):
    status: int = 200
    results: list[ScoredEntityResponse]
    total: TotalSpec
    query: EntityExample


class FeatureDoc(BaseModel):
    description: str | None
    coefficient: float
    url: str


class EntityMatchResponse(BaseModel):
    responses: dict[str, EntityMatches]
    matcher: dict[str, FeatureDoc]
    limit: int
    screening_id: str = Field(description="The ledger's receipt of this match (yente has none)")
    read_point: ReadPointOut = Field(description="The point in both times matched at")


# Batches: a CSV or JSON Lines file, one query a row ----------------------------------------

CSV_COLUMNS = {
    "name": "name",
    "kind": "kind",
    "birth_date": "birth_dates",
    "country": "countries",
    "identifier": "identifiers",
}
"""A CSV batch's columns, and the query field each fills; only ``name`` is required."""
LISTS = frozenset({"birth_dates", "countries", "identifiers"})


def batch_queries(text: str, media_type: str, max_rows: int = MAX_BATCH_ROWS) -> list[Query]:
    """Every row of a batch as a query, the whole file checked before any is screened, so
    that a bad row refuses the batch rather than cutting its answer short."""
    rows = csv_rows(text) if media_type == "text/csv" else json_lines_rows(text)
    queries: list[Query] = []
    for number, row in rows:
        if len(queries) == max_rows:
            raise InvalidValue(f"the batch has more than {max_rows} rows; split it")
        queries.append(query_of_row(row, number))
    if not queries:
        raise InvalidValue("the batch has no rows to screen")
    return queries


def csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of a CSV batch as query documents, with their line numbers; a header row
    names the columns (``name``, and optionally ``kind``, ``birth_date``, ``country``,
    ``identifier``)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [column.strip().lower() for column in next(reader, [])]
        _check_header(header)
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            if len(row) != len(header):
                raise InvalidValue(
                    f"line {reader.line_num}: {len(row)} cells where the header names "
                    f"{len(header)} columns"
                )
            yield reader.line_num, _csv_document(header, row, reader.line_num)
    except csv.Error as error:
        raise InvalidValue(f"line {reader.line_num}: not valid CSV ({error})") from None


def _check_header(header: list[str]) -> None:
    if "name" not in header:
        raise InvalidValue(
            "the first line must be a header naming the columns, with a 'name' column "
            f"(and optionally {', '.join(repr(c) for c in list(CSV_COLUMNS)[1:])})"
        )
    unknown = [column for column in header if column not in CSV_COLUMNS]
    if unknown:
        raise InvalidValue(
            f"unknown column(s) {', '.join(repr(c[:50]) for c in unknown)}; the columns are "
            f"{', '.join(CSV_COLUMNS)}"
        )
    if len(set(header)) != len(header):
        raise InvalidValue("the header names a column twice")


def _csv_document(header: list[str], row: list[str], line: int) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for column, cell in zip(header, row, strict=True):
        check_text(cell, f"line {line}, column {column!r}")
        value = cell.strip()
        if not value:
            continue
        field = CSV_COLUMNS[column]
        document[field] = [value] if field in LISTS else value
    return document


def json_lines_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The lines of a JSON Lines batch, each a query object, with their line numbers."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            document = json.loads(line, object_pairs_hook=_unique_keys)
        except ValueError as error:
            raise InvalidValue(f"line {number}: not a JSON object ({error})") from None
        if not isinstance(document, dict):
            raise InvalidValue(f"line {number}: not a JSON object")
        check_all_text(document, f"line {number}")
        yield number, document


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("a key is named twice")
    return document


def query_of_row(row: dict[str, Any], line: int) -> Query:
    try:
        asked = QueryIn.model_validate(row)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        field = f", {where}" if where else ""
        raise InvalidValue(f"line {line}{field}: {first['msg']}") from None
    return asked.to_query(f"line {line}")
