"""Questions the views answer, each for one point of effective time and one log position.

Every query filters the bitemporal tables by the conditions of ``conditions``: rows that
hold at one effective time as known at one log position, and what the client's filters ask.
Pages are ordered by id and continue after the last id of the previous page.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from application.log_ends import EndsCheck, LogEnds
from application.views.conditions import (
    MeasureFilter,
    SubjectFilter,
    contains,
    listed,
    searchable,
    valid,
)
from application.views.like import substring
from application.views.name_search import (
    NameSearch,
    exact_condition,
    name_condition,
    proposing,
)
from application.views.store import Row, ViewStore

ENDS = frozenset({"ends_last", "ends_reached"})
"""The columns ``LogEnds.with_ends`` adds to a page's rows."""


class _Checking(threading.local):
    """The check a thread's page statements report to (``ViewQueries.checking``)."""

    active: tuple[LogEnds, EndsCheck] | None = None


Side = tuple[str, int]
"""A read point as the views take it: (as_of stamp, log position)."""

DELTA_TABLES = {
    "measure": ("measure_segments", "measure_id"),
    "subject": ("profile_segments", "subject_id"),
}


class ViewQueries:
    def __init__(self, views: ViewStore) -> None:
        self.views = views
        self._checking = _Checking()

    @contextmanager
    def checking(self, ends: LogEnds) -> Iterator[EndsCheck]:
        """Every page statement this thread runs inside made to read the log's ends in its
        own snapshot (``LogEnds.with_ends``), and what each saw kept in the check; any other
        statement leaves the read unchecked."""
        check = EndsCheck()
        self._checking.active = (ends, check)
        try:
            yield check
        finally:
            self._checking.active = None

    def _rows(self, sql: str, params: list[Any]) -> list[Row]:
        active = self._checking.active
        if active is not None:
            active[1].unchecked = True
        return self._run(sql, params)

    def _page_rows(self, sql: str, params: list[Any]) -> list[Row]:
        """``_rows`` of a page's statement (one with a ``key`` column), with the log's ends
        where a check is on (``checking``)."""
        active = self._checking.active
        if active is None:
            return self._run(sql, params)
        ends, check = active
        rows = self._run(*ends.with_ends(sql, params))
        seen = (int(rows[0]["ends_last"] or 0), int(rows[0]["ends_reached"] or 0))
        check.seen.append(seen)
        ends.saw(seen)
        return [
            row
            for row in rows
            if any(value is not None for name, value in row.items() if name not in ENDS)
        ]

    def _run(self, sql: str, params: list[Any]) -> list[Row]:
        with self.views.transaction(commit=False) as cursor:
            cursor.execute(sql, params)
            rows: list[Row] = cursor.fetchall()
            return rows

    # The log -----------------------------------------------------------------------------

    def position_known_at(self, moment: str) -> int:
        """The last log position recorded at or before ``moment``."""
        rows = self._rows(
            "SELECT MAX(position) AS p FROM ledger_log WHERE known_from <= ?", [moment]
        )
        return int(rows[0]["p"] or 0)

    def recorded_at(self, position: int) -> str | None:
        rows = self._rows("SELECT known_from FROM ledger_log WHERE position = ?", [position])
        return str(rows[0]["known_from"]) if rows else None

    # Measures ----------------------------------------------------------------------------

    def measures(
        self, as_of: str, position: int, only: MeasureFilter, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        return _decoded(self.measure_texts(as_of, position, only, after, limit))

    def measure_texts(
        self, as_of: str, position: int, only: MeasureFilter, after: str | None, limit: int
    ) -> list[tuple[str, str]]:
        """The page as (measure id, stored JSON document) pairs, the text as stored."""
        condition, params = valid("m", as_of, position)
        clauses = [condition]
        for column, value in (
            ("authority", only.authority),
            ("kind", only.kind),
            ("subject_kind", only.subject_kind),
            ("subject_id", only.subject_id),
        ):
            if value is not None:
                clauses.append(f"m.{column} = ?")
                params.append(value)
        if only.program is not None:
            condition, values = listed("m", "programs", only.program)
            clauses.append(condition)
            params.extend(values)
        return self._page_texts("measure_segments m", "m.measure_id", clauses, params, after, limit)

    def measure_texts_of(
        self, subject_ids: list[str], as_of: str, position: int
    ) -> dict[str, list[str]]:
        """The stored JSON documents of the measures in force for each of a page of subjects."""
        found: dict[str, list[str]] = {subject_id: [] for subject_id in subject_ids}
        if not subject_ids:
            return found
        condition, params = valid("m", as_of, position)
        marks = ", ".join("?" for _ in subject_ids)
        sql = (
            f"SELECT m.subject_id, m.document FROM measure_segments m WHERE {condition} "
            f"AND m.subject_id IN ({marks}) ORDER BY m.measure_id"
        )
        for row in self._rows(sql, [*params, *subject_ids]):
            found[row["subject_id"]].append(str(row["document"]))
        return found

    # Subjects ----------------------------------------------------------------------------

    def subjects(
        self, as_of: str, position: int, only: SubjectFilter, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        return _decoded(self.subject_texts(as_of, position, only, after, limit))

    def subject_texts(
        self, as_of: str, position: int, only: SubjectFilter, after: str | None, limit: int
    ) -> list[tuple[str, str]]:
        """The page as (subject id, stored JSON document) pairs, the text as stored."""
        clauses, params = self._subject_clauses(as_of, position, only)
        search = self._name_search(as_of, position, only, after, limit)
        if search is not None:
            condition, values = name_condition(self.views, search)
            clauses, params = [*clauses, condition], [*params, *values]
        return self._page_texts("profile_segments p", "p.subject_id", clauses, params, after, limit)

    def subject_texts_with_measures(
        self, as_of: str, position: int, only: SubjectFilter, after: str | None, limit: int
    ) -> list[tuple[str, str, list[str]]]:
        """The page as (subject id, stored document, the stored documents of its measures in
        force) triples, the texts as stored.

        Where the store joins text in a statement (``ViewStore.joined_measures``: PostgreSQL),
        the measures come with the page, and so do the subjects a name search's index
        proposes (``name_search.proposing``): one statement, where reading them apart took
        three, each a round trip and a run of the server of its own."""
        joined = self.views.joined_measures
        if joined is None:
            texts = self.subject_texts(as_of, position, only, after, limit)
            measures = self.measure_texts_of([key for key, _ in texts], as_of, position)
            return [(key, text, measures[key]) for key, text in texts]
        clauses, params = self._subject_clauses(as_of, position, only)
        if after is not None:
            clauses, params = [*clauses, "p.subject_id > ?"], [*params, after]
        condition, inner = valid("m", as_of, position)
        head = (
            f"SELECT p.subject_id AS key, p.document, (SELECT {joined} FROM measure_segments m "
            f"WHERE m.subject_id = p.subject_id AND {condition}) AS measures "
            "FROM profile_segments p WHERE "
        )
        tail = " ORDER BY p.subject_id LIMIT ?"
        search = self._name_search(as_of, position, only, after, limit)
        proposal = None if search is None else proposing(self.views, search)
        if proposal is not None:
            # The proposed rows are counted with the page: past the index's limit they are
            # too many to stand for every subject, and the page is read again by the exact
            # test. The ids reach the page as one array, which its primary key reads in order.
            sql = (
                f"WITH proposed AS MATERIALIZED ({proposal.sql}), "
                "found AS (SELECT count(*) AS proposed, "
                "array_agg(subject_id) FILTER (WHERE hit = 1) AS ids FROM proposed) "
                "SELECT found.proposed, page.key, page.document, page.measures FROM found "
                f"LEFT JOIN LATERAL ({head}{' AND '.join(clauses)} "
                f"AND p.subject_id = ANY(found.ids) AND found.proposed <= ?{tail}) page ON true"
            )
            most = proposal.most
            rows = self._page_rows(sql, [*proposal.params, *inner, *params, most, limit])
            if rows[0]["proposed"] <= most:
                return _with_measures(row for row in rows if row["key"] is not None)
        if search is not None:  # a term the index cannot serve, or proposed by too many rows
            condition, values = exact_condition(search)
            clauses, params = [*clauses, condition], [*params, *values]
        sql = f"{head}{' AND '.join(clauses)}{tail}"
        return _with_measures(self._page_rows(sql, [*inner, *params, limit]))

    def _subject_clauses(
        self, as_of: str, position: int, only: SubjectFilter
    ) -> tuple[list[str], list[Any]]:
        """The conditions (and their parameters) on a page's profile rows ``p``, but for the
        name."""
        condition, params = valid("p", as_of, position)
        clauses = [condition]
        if only.kind is not None:
            clauses.append("p.kind = ?")
            params.append(only.kind)
        if only.country is not None:
            clauses.append("p.countries LIKE ? ESCAPE '!'")
            params.append(contains(searchable(only.country, "the country")))
        if only.reference is not None:
            # The document holds a reference as its authority and id apart: the id is what
            # must appear whole.
            _, _, reference_id = only.reference.partition(":")
            condition, values = listed("p", "refs", only.reference, reference_id)
            clauses.append(condition)
            params.extend(values)
        self._measure_clause(clauses, params, only, as_of, position)
        return clauses, params

    @staticmethod
    def _name_search(
        as_of: str, position: int, only: SubjectFilter, after: str | None, limit: int
    ) -> NameSearch | None:
        if only.name is None:
            return None
        term = searchable(only.name, "the name")
        others = (only.kind, only.country, only.reference, only.authority, only.program)
        return NameSearch(
            term,
            substring(term),
            valid("n", as_of, position),
            after,
            limit,
            alone=all(v is None for v in others) and only.active is None,
        )

    def _page_texts(
        self,
        table: str,
        key: str,
        clauses: list[str],
        params: list[Any],
        after: str | None,
        limit: int,
    ) -> list[tuple[str, str]]:
        """(key, document) of up to ``limit`` rows meeting every clause, after ``after`` by
        key; the documents as stored, for answers that pass them on without decoding."""
        if after is not None:
            clauses, params = [*clauses, f"{key} > ?"], [*params, after]
        sql = (
            f"SELECT {key} AS key, document FROM {table} WHERE {' AND '.join(clauses)} "
            f"ORDER BY {key} LIMIT ?"
        )
        rows = self._page_rows(sql, [*params, limit])
        return [(str(row["key"]), str(row["document"])) for row in rows]

    @staticmethod
    def _measure_clause(
        clauses: list[str], params: list[Any], only: SubjectFilter, as_of: str, position: int
    ) -> None:
        """Filters on the subject's measures in force: by authority, program, or at all."""
        wanted = only.authority is not None or only.program is not None or only.active is not None
        if not wanted:
            return
        condition, inner = valid("m", as_of, position)
        parts = [f"m.subject_id = p.subject_id AND {condition}"]
        if only.authority is not None:
            parts.append("m.authority = ?")
            inner.append(only.authority)
        if only.program is not None:
            program, values = listed("m", "programs", only.program)
            parts.append(program)
            inner.extend(values)
        negate = only.active is False and only.authority is None and only.program is None
        exists = f"EXISTS (SELECT 1 FROM measure_segments m WHERE {' AND '.join(parts)})"
        clauses.append(f"NOT {exists}" if negate else exists)
        params.extend(inner)

    # Deltas ------------------------------------------------------------------------------

    def changed_subjects(self, first: Side, second: Side, floor: str) -> list[str]:
        """The ids, from ``floor`` on and in order, of every subject whose rows (profile or
        measures) may read differently at the two points; any other reads the same rows at
        both.

        A row holds at a point when the point lies inside its recorded and effective
        periods, so which row holds can differ between two points only for a subject with a
        row beginning or ending between them on one of the two axes. On the recorded axis
        those are the subjects with an event between the two positions (a row is opened
        and closed only by its subject's events); on the effective axis, the subjects of the
        rows starting or ending between the two times. Each is an indexed lookup, so a delta
        costs what changed between its two points, not the size of the ledger."""
        (low_as_of, high_as_of), (low, high) = (
            sorted((first[0], second[0])),
            sorted((first[1], second[1])),
        )
        parts = [
            "SELECT l.aggregate_id AS id FROM ledger_log l WHERE l.position > ? "
            "AND l.position <= ? AND l.subject_event AND l.aggregate_id >= ?"
        ]
        params: list[Any] = [low, high, floor]
        for table in ("measure_segments", "profile_segments"):
            for column in ("eff_from", "eff_to"):
                parts.append(
                    f"SELECT t.subject_id FROM {table} t WHERE t.{column} > ? "
                    f"AND t.{column} <= ? AND t.subject_id >= ?"
                )
                params += [low_as_of, high_as_of, floor]
        sql = " UNION ".join(parts) + " ORDER BY 1"
        return [str(row["id"]) for row in self._rows(sql, params)]

    def delta_rows(
        self, entity: str, side: Side, subject_ids: list[str]
    ) -> dict[str, tuple[str, str]]:
        """(what to compare, document) of each measure or profile of the subjects holding
        at the point: measures compare equal when their terms do, subjects when their
        profiles do."""
        if not subject_ids:
            return {}
        table, key = DELTA_TABLES[entity]
        compared = "terms_digest" if entity == "measure" else "document"
        condition, params = valid("t", side[0], side[1])
        marks = ", ".join("?" * len(subject_ids))
        sql = (
            f"SELECT t.{key} AS id, t.{compared} AS compared, t.document FROM {table} t "
            f"WHERE {condition} AND t.subject_id IN ({marks})"
        )
        rows = self._rows(sql, [*params, *subject_ids])
        return {str(row["id"]): (row["compared"], row["document"]) for row in rows}


def _with_measures(rows: Iterable[Row]) -> list[tuple[str, str, list[str]]]:
    """(key, document, [its measures joined]) of rows of a page with ``measures``."""
    return [
        (
            str(row["key"]),
            str(row["document"]),
            [] if row["measures"] is None else [row["measures"]],
        )
        for row in rows
    ]


def _decoded(texts: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [json.loads(text) for _, text in texts]
