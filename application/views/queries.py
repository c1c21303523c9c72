"""Questions the views answer, each for one point of effective time and one log position.

Every query filters the bitemporal tables with the same condition: the row was recorded at
or before position K and not yet superseded at K, and it holds at effective time A.
Pages are ordered by id and continue after the last id of the previous page.

A filter's value is always taken literally: LIKE's wildcards in it are escaped, an item of a
``|``-joined list is checked against the row's document too (so that ``A|B`` never matches a
measure under the programs A and B, nor ``A`` one under the program ``A|B``), and a name
that normalizes to nothing is refused rather than matching every subject.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from application.views.like import escaped, substring
from application.views.name_search import NameSearch, name_condition
from application.views.rows import normalize
from application.views.store import Row, ViewStore
from domain.errors import InvalidValue

VALID = (
    "{t}.rec_from <= ? AND ({t}.rec_to IS NULL OR {t}.rec_to > ?) "
    "AND {t}.eff_from <= ? AND ({t}.eff_to IS NULL OR {t}.eff_to > ?)"
)


def valid(table: str, as_of: str, position: int) -> tuple[str, list[Any]]:
    """The condition for rows of ``table`` holding at ``as_of`` as known at ``position``."""
    return VALID.format(t=table), [position, position, as_of, as_of]


def contains(value: str) -> str:
    """A LIKE pattern for one ``|``-delimited value."""
    return f"%|{escaped(value)}|%"


def contains_prefix(value: str) -> str:
    """A LIKE pattern for a ``|``-delimited value starting with ``value``."""
    return f"%|{escaped(value)}%"


def listed(
    table: str, column: str, value: str, literal: str | None = None
) -> tuple[str, list[str]]:
    """The condition that ``table.column`` (a ``|a|b|`` list) holds ``value`` as one item.

    The list alone cannot say where an item holding the separator ends: ``|A|B|`` is both
    the items A and B and the one item ``A|B``. So the value must also appear whole, as a
    JSON string, in the row's document, where each item is quoted apart: ``literal`` (the
    value itself by default) is the part of it the document holds. Containment is tested
    with ``replace``, which both databases read the same way, case included (SQLite's
    ``LIKE`` ignores ASCII case, PostgreSQL's does not).
    """
    whole = json.dumps(value if literal is None else literal)
    return (
        f"replace({table}.{column}, ?, '') <> {table}.{column} "
        f"AND replace({table}.document, ?, '') <> {table}.document",
        [f"|{value}|", whole],
    )


def searchable(value: str, what: str) -> str:
    """The value normalized for matching; refused if nothing of it is left to match on,
    since an empty pattern would match everything."""
    normalized = normalize(value)
    if not normalized:
        raise InvalidValue(
            f"{what} {value!r} has no letter or digit to search for: punctuation and "
            "spaces are ignored in matching"
        )
    return normalized


@dataclass(frozen=True)
class MeasureFilter:
    authority: str | None = None
    program: str | None = None
    kind: str | None = None
    subject_kind: str | None = None
    subject_id: str | None = None


@dataclass(frozen=True)
class SubjectFilter:
    name: str | None = None
    authority: str | None = None
    program: str | None = None
    kind: str | None = None
    country: str | None = None
    reference: str | None = None
    active: bool | None = None


Side = tuple[str, int]
"""A read point as the views take it: (as_of stamp, log position)."""

DELTA_TABLES = {
    "measure": ("measure_segments", "measure_id"),
    "subject": ("profile_segments", "subject_id"),
}


class ViewQueries:
    def __init__(self, views: ViewStore) -> None:
        self.views = views

    def _rows(self, sql: str, params: list[Any]) -> list[Row]:
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

    def measures_of(
        self, subject_ids: list[str], as_of: str, position: int
    ) -> dict[str, list[dict[str, Any]]]:
        """The measures in force for each of a page of subjects."""
        texts = self.measure_texts_of(subject_ids, as_of, position)
        return {subject_id: [json.loads(t) for t in found] for subject_id, found in texts.items()}

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
        if only.name is not None:
            term = searchable(only.name, "the name")
            others = (only.kind, only.country, only.reference, only.authority, only.program)
            search = NameSearch(
                term,
                substring(term),
                valid("n", as_of, position),
                after,
                limit,
                alone=all(v is None for v in others) and only.active is None,
            )
            condition, values = name_condition(self.views, search)
            clauses.append(condition)
            params.extend(values)
        self._measure_clause(clauses, params, only, as_of, position)
        return self._page_texts("profile_segments p", "p.subject_id", clauses, params, after, limit)

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
        rows = self._rows(sql, [*params, limit])
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

    # Checking ----------------------------------------------------------------------------

    def dump(self) -> tuple[int, dict[str, list[tuple[Any, ...]]]]:
        """Every row of every view in a fixed order, read from one snapshot, with the log
        position the snapshot reflects: for comparing two sets of views."""
        with self.views.transaction(commit=False, snapshot=True) as cursor:
            tables: dict[str, list[tuple[Any, ...]]] = {}
            for table, order in DUMP_ORDER.items():
                cursor.execute(f"SELECT * FROM {table} ORDER BY {order}")
                tables[table] = [
                    tuple(_plain(v) for v in dict(r).values()) for r in cursor.fetchall()
                ]
            cursor.execute("SELECT MAX(position) AS p FROM ledger_log")
            row = cursor.fetchone()
        return int(row["p"] or 0) if row else 0, tables


def _decoded(texts: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [json.loads(text) for _, text in texts]


DUMP_ORDER = {
    "ledger_log": "position",
    "measure_segments": "measure_id, eff_from, rec_from",
    "profile_segments": "subject_id, eff_from, rec_from",
    "name_segments": "subject_id, eff_from, rec_from, ordinal",
    "link_segments": "link_id, eff_from, rec_from",
}


def _plain(value: Any) -> Any:
    """Values as both databases give them back: booleans as 0/1, integers as int."""
    if isinstance(value, bool):
        return int(value)
    return value
