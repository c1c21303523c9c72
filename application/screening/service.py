"""Screening over the ledger: names against the subjects in force at a point in both times.

A screening resolves its read point as every read does (``as_of`` in effective time,
``known_at`` in recorded time, one log position), asks the names index for the profiles that
held at that point, keeps the subjects with at least one measure in force there (and within
the filters), and answers with each hit's score and the features behind it. It is stored as
a receipt with the read point and the log's signed checkpoint at that position; redoing it
at the same point gives the same answer, whatever was recorded since.

Every hit names its subject's cluster of linked subjects at the read point, and a screening
asked per cluster (``cluster``) answers one hit per cluster (``application.screening.clusters``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from application.documents import iso
from application.proofs.service import Proofs
from application.read_points import ReadPoint
from application.reading import Reader
from application.screening.clusters import ClusterLookup, grouped, with_clusters
from application.screening.model import Hit, ProfileRecord, Query
from application.screening.receipts import Receipts, new_screening_id
from application.screening.scoring import THRESHOLD
from application.screening.source import IndexedViews
from application.views.conditions import valid
from application.views.rows import normalize, stamp

MAX_LIMIT = 100
OVERFETCH = 5
"""Hits asked of the index per hit answered: some subjects have no measure in force."""
MEASURES = (
    "SELECT subject_id, measure_id, authority, kind, programs FROM measure_segments "
    "WHERE subject_id IN ({marks}) AND {valid} ORDER BY subject_id, measure_id"
)
SUBJECTS_PER_QUERY = 500


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()
    authorities: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScreeningRequest:
    queries: tuple[Query, ...]
    as_of: datetime | None = None
    known_at: str | None = None
    threshold: float = THRESHOLD
    limit: int = 5
    filters: Filters = field(default_factory=Filters)
    cluster: bool = False
    """One hit per cluster of linked subjects, rather than one per subject."""

    def describe(self) -> dict[str, Any]:
        """What was asked, as a receipt keeps it (the read point apart)."""
        return {
            "threshold": self.threshold,
            "limit": self.limit,
            "filters": asdict(self.filters),
            "cluster": self.cluster,
            "queries": [query_document(query) for query in self.queries],
        }


def query_document(query: Query) -> dict[str, Any]:
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in asdict(query).items()
    }


def query_of(document: dict[str, Any]) -> Query:
    return Query(
        name=document.get("name"),
        kind=document.get("kind"),
        birth_dates=tuple(document.get("birth_dates", ())),
        countries=tuple(document.get("countries", ())),
        identifiers=tuple(document.get("identifiers", ())),
    )


@dataclass(frozen=True)
class Batch:
    """A batch being screened: its header, known before the first row is answered, and
    its results, one per row, in order; the receipt is kept once the last is answered."""

    header: dict[str, Any]
    results: Iterator[dict[str, Any]]


class Screening:
    def __init__(
        self,
        reader: Reader,
        proofs: Proofs,
        receipts: Receipts,
        now: Callable[[], datetime],
    ) -> None:
        self.reader = reader
        self.proofs = proofs
        self.receipts = receipts
        self.now = now
        self.indexed = IndexedViews(reader.views)

    # Screening ------------------------------------------------------------------------------

    def screen(self, request: ScreeningRequest, requested_by: str | None = None) -> dict[str, Any]:
        """Screen every query of the request; the answer, kept as a receipt."""
        batch = self.screen_rows(request.queries, request, requested_by)
        results = list(batch.results)
        return {**batch.header, "results": results}

    def screen_rows(
        self, rows: Iterable[Query], request: ScreeningRequest, requested_by: str | None = None
    ) -> Batch:
        """Screen rows as they come (a file of up to 100,000), answering each in turn."""
        point = self.reader.point(request.as_of, request.known_at)
        header = self._header(request, point)
        clusters = self._clusters(point)

        def answered() -> Iterator[dict[str, Any]]:
            kept: list[dict[str, Any]] = []
            queries: list[Query] = []
            for query in rows:
                result = self._result(query, request, point, clusters)
                kept.append(result)
                queries.append(query)
                yield result
            asked = replace(request, queries=tuple(queries))
            self.receipts.keep(
                header["screening_id"],
                header["created_at"],
                requested_by,
                {**asked.describe(), "read_point": header["read_point"]},
                {**header, "results": kept},
            )

        return Batch(header, answered())

    def _header(self, request: ScreeningRequest, point: ReadPoint) -> dict[str, Any]:
        return {
            "screening_id": new_screening_id(),
            "created_at": iso(self.now()),
            "read_point": point.describe(),
            "checkpoint": self.proofs.checkpoint(position=point.position).as_json(),
            "threshold": request.threshold,
            "limit": request.limit,
            "filters": asdict(request.filters),
            "cluster": request.cluster,
        }

    def _clusters(self, point: ReadPoint) -> ClusterLookup:
        """The clusters at the point, looked up as hits ask, once per subject a screening."""
        return ClusterLookup(self.reader.views, stamp(point.as_of), point.position)

    def _result(
        self,
        query: Query,
        request: ScreeningRequest,
        point: ReadPoint,
        clusters: ClusterLookup | None,
    ) -> dict[str, Any]:
        """The query's hits; each names its cluster unless ``clusters`` is None (a receipt
        kept before hits named clusters is redone as it was answered)."""
        index = self.indexed.reflecting(point.position)
        effective = stamp(point.as_of)
        visible = _visibility(effective, point.position, request.filters)
        found = index.screen(query, visible, request.limit * OVERFETCH, request.threshold)
        in_force = self._measures([hit.subject_id for hit in found], effective, point.position)
        hits = [
            _hit_document(hit, index.record(hit.record_key), in_force[hit.subject_id])
            for hit in found
            if _kept(in_force.get(hit.subject_id, []), request.filters)
        ]
        if clusters is not None and request.cluster:
            hits = grouped(with_clusters(hits, clusters), clusters)
        elif clusters is not None:
            hits = with_clusters(hits[: request.limit], clusters)
        return {"query": query_document(query), "hits": hits[: request.limit]}

    def _measures(
        self, subject_ids: Sequence[str], effective: str, position: int
    ) -> dict[str, list[dict[str, Any]]]:
        """The measures in force at the read point of each subject, by subject."""
        found: dict[str, list[dict[str, Any]]] = {}
        unique = list(dict.fromkeys(subject_ids))
        for start in range(0, len(unique), SUBJECTS_PER_QUERY):
            chunk = unique[start : start + SUBJECTS_PER_QUERY]
            condition, params = valid("measure_segments", effective, position)
            sql = MEASURES.format(marks=",".join("?" * len(chunk)), valid=condition)
            with self.reader.views.transaction(commit=False) as cursor:
                cursor.execute(sql, [*chunk, *params])
                rows = cursor.fetchall()
            for row in rows:
                found.setdefault(row["subject_id"], []).append(
                    {
                        "measure_id": row["measure_id"],
                        "authority": row["authority"],
                        "kind": row["kind"],
                        "programs": [p for p in row["programs"].split("|") if p],
                    }
                )
        return found

    # Receipts -------------------------------------------------------------------------------

    def receipt(self, screening_id: str) -> dict[str, Any]:
        request, answer = self.receipts.get(screening_id)
        return {**answer, "request": request}

    def reproduce(self, screening_id: str) -> dict[str, Any]:
        """The screening redone at its own read point, and whether it answers the same."""
        request, answer = self.receipts.get(screening_id)
        point = self.reader.pinned(ReadPoint.described(answer["read_point"]))
        asked = ScreeningRequest(
            queries=tuple(query_of(query) for query in request["queries"]),
            threshold=request["threshold"],
            limit=request["limit"],
            filters=Filters(**{key: tuple(value) for key, value in request["filters"].items()}),
            cluster=request.get("cluster", False),
        )
        # A receipt kept before screenings named clusters has no "cluster" in its request.
        clusters = self._clusters(point) if "cluster" in request else None
        results = [self._result(query, asked, point, clusters) for query in asked.queries]
        same = results == answer["results"] and point.describe() == answer["read_point"]
        return {
            "screening_id": screening_id,
            "same": same,
            "read_point": point.describe(),
            "results": results,
            "original_results": answer["results"],
        }


def _visibility(effective: str, position: int, filters: Filters) -> Callable[[ProfileRecord], bool]:
    kinds = set(filters.kinds)
    countries = {normalize(country) for country in filters.countries}

    def visible(record: ProfileRecord) -> bool:
        if not record.holds_at(effective, position):
            return False
        if kinds and record.kind not in kinds:
            return False
        return not countries or bool(countries & {normalize(c) for c in record.countries})

    return visible


def _kept(measures: list[dict[str, Any]], filters: Filters) -> bool:
    """Whether a subject with these measures in force is a hit under the filters."""
    if filters.authorities:
        measures = [m for m in measures if m["authority"] in filters.authorities]
    if filters.programs:
        wanted = set(filters.programs)
        measures = [m for m in measures if wanted & set(m["programs"])]
    return bool(measures)


def _hit_document(
    hit: Hit, record: ProfileRecord, measures: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "subject_id": hit.subject_id,
        "kind": record.kind,
        "primary_name": record.names[0][0] if record.names else None,
        "matched_name": hit.matched_name,
        "name_type": hit.name_type,
        "score": round(hit.score, 4),
        "features": {name: round(value, 4) for name, value in sorted(hit.features.items())},
        "measures": measures,
    }
