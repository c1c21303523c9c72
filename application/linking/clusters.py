"""Clusters: the subjects that links join, at a point in both times.

A cluster is a connected component of the pairs linked at a read point: the link rows
(``application.views.links``) with status ``linked`` holding at effective time ``as_of``
(the decisions' effective times) as known at log position ``position`` (their recorded
times). Unlinking a pair splits its cluster again if nothing else holds it together.

Canonical id: ``cl_`` followed by the smallest member subject id (UUID text order). It
depends on nothing but the members, so any reader at any point gives the same cluster the
same id, and a cluster keeps it as long as its smallest member stays in it; a cluster that
gains a smaller member or loses its smallest one gets another id. Reading a cluster by an
id that is no longer canonical still answers (a walk may start from any member,
``member_of``): the answer names the canonical id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.views.conditions import valid
from application.views.rows import stamp
from application.views.store import Cursor, Row, ViewStore
from domain.errors import NotFound

PREFIX = "cl_"
WALK_BATCH = 400
"""Members whose links one query of a walk reads: well within every store's limit of
parameters per statement."""
MAX_MEMBERS = 10_000
"""A walk through links stops past this many members (its answer is then a part of the
cluster): a cluster that large is a mistake (an automatic rule gone wrong), and reading it
whole on every subject read would be the next one. ``clusters_at`` has no such bound."""


class ClusterNotFound(NotFound):
    pass


class ReadAt(Protocol):
    """A point in both times; ``application.reading.ReadPoint`` is one."""

    @property
    def as_of(self) -> datetime: ...

    @property
    def position(self) -> int: ...


@dataclass(frozen=True)
class At:
    """A read point given by its two parts."""

    as_of: datetime
    position: int


def canonical_id(members: Iterable[str]) -> str:
    return PREFIX + min(members)


def member_of(cluster_id: str) -> UUID:
    """The subject a cluster id names (``cl_<subject id>``); a bare subject id is taken too."""
    try:
        return UUID(cluster_id.removeprefix(PREFIX))
    except ValueError:
        raise ClusterNotFound(
            f"no cluster has the id {cluster_id!r}: cluster ids look like 'cl_<subject uuid>'"
        ) from None


def _rows(views: ViewStore, sql: str, params: list[Any]) -> list[Row]:
    with views.transaction(commit=False) as cursor:
        cursor.execute(sql, params)
        rows: list[Row] = cursor.fetchall()
        return rows


def linked_pairs(views: ViewStore, point: ReadAt) -> list[tuple[str, str]]:
    """Every pair linked at the point."""
    condition, params = valid("l", stamp(point.as_of), point.position)
    sql = f"SELECT subject_a, subject_b FROM link_segments l WHERE {condition} AND l.status = ?"
    return [(r["subject_a"], r["subject_b"]) for r in _rows(views, sql, [*params, "linked"])]


def clusters_at(views: ViewStore, point: ReadAt) -> dict[str, str]:
    """Every linked subject's id mapped to its cluster's canonical id; a subject in no
    link at the point is absent."""
    roots = component_roots(linked_pairs(views, point))
    return {node: PREFIX + root for node, root in roots.items()}


def component_roots(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Every member of the pairs mapped to the smallest member of its connected component."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for first, second in pairs:
        parent.setdefault(first, first)
        parent.setdefault(second, second)
        low, high = sorted((root(first), root(second)))
        parent[high] = low  # the root of a component is always its smallest member
    return {node: root(node) for node in parent}


def decided_pairs(views: ViewStore, point: ReadAt) -> set[frozenset[str]]:
    """Every pair with a decision known at the point's position, whatever its effective
    time: linked, unlinked or rejected. A suggester leaves these out."""
    sql = (
        "SELECT DISTINCT subject_a, subject_b FROM link_segments l "
        "WHERE l.rec_from <= ? AND (l.rec_to IS NULL OR l.rec_to > ?)"
    )
    rows = _rows(views, sql, [point.position, point.position])
    return {frozenset((r["subject_a"], r["subject_b"])) for r in rows}


def cluster_links(views: ViewStore, subject_id: str, point: ReadAt) -> list[dict[str, Any]]:
    """The documents of the links holding the subject's cluster together at the point, in
    link id order; empty if it is linked to nothing."""
    with views.transaction(commit=False) as cursor:
        found = _walk(cursor, subject_id, stamp(point.as_of), point.position)
    return [json.loads(found[key]["document"]) for key in sorted(found)]


def _walk(cursor: Cursor, subject_id: str, as_of: str, position: int) -> dict[str, Row]:
    """The rows of the links linked at the point that join the subject to others, found by
    walking from it link by link (a few members' links per indexed query)."""
    condition, params = valid("l", as_of, position)
    seen, frontier = {subject_id}, [subject_id]
    found: dict[str, Row] = {}
    while frontier and len(seen) <= MAX_MEMBERS:
        batch, frontier = frontier[:WALK_BATCH], frontier[WALK_BATCH:]
        marks = ", ".join("?" for _ in batch)
        cursor.execute(
            "SELECT link_id, subject_a, subject_b, document FROM link_segments l "
            f"WHERE {condition} AND l.status = 'linked' "
            f"AND (l.subject_a IN ({marks}) OR l.subject_b IN ({marks}))",
            [*params, *batch, *batch],
        )
        for row in cursor.fetchall():
            found[row["link_id"]] = row
            for member in (row["subject_a"], row["subject_b"]):
                if member not in seen:
                    seen.add(member)
                    frontier.append(member)
    return found


def members(links: list[dict[str, Any]]) -> list[str]:
    return sorted({s for link in links for s in link["subject_ids"]})


def cluster_ref(views: ViewStore, subject_id: str, point: ReadAt) -> dict[str, Any] | None:
    """The subject's cluster at the point, by its canonical id and its other members; None
    if the subject is linked to no other."""
    with views.transaction(commit=False) as cursor:
        return cluster_ref_in(cursor, subject_id, stamp(point.as_of), point.position)


def cluster_ref_in(
    cursor: Cursor, subject_id: str, as_of: str, position: int
) -> dict[str, Any] | None:
    """``cluster_ref`` in a transaction the caller holds (``as_of`` as the views store it):
    a subject read asks it in the same transaction as the subject's rows."""
    found = sorted(
        {m for row in _walk(cursor, subject_id, as_of, position).values() for m in _pair(row)}
    )
    if not found:
        return None
    return {"cluster_id": canonical_id(found), "members": [m for m in found if m != subject_id]}


def ever_linked_in(cursor: Cursor, subject_id: str, position: int) -> bool:
    """Whether any link decision known at ``position`` names the subject, whatever its
    effective time or status: where none does, it belongs to no cluster at any ``as_of``."""
    cursor.execute(
        "SELECT 1 FROM link_segments l WHERE (l.subject_a = ? OR l.subject_b = ?) "
        "AND l.rec_from <= ? AND (l.rec_to IS NULL OR l.rec_to > ?) LIMIT 1",
        (subject_id, subject_id, position, position),
    )
    return cursor.fetchone() is not None


def _pair(row: Row) -> tuple[str, str]:
    return str(row["subject_a"]), str(row["subject_b"])


def with_clusters(views: ViewStore, items: list[str], point: ReadAt) -> list[str]:
    """Measure documents (JSON texts, as the views store them) with ``cluster_id``: the
    cluster their subject belongs to at the point, or null; for lists asked per cluster."""
    clusters = clusters_at(views, point)
    documents = [json.loads(item) for item in items]
    return [
        json.dumps(
            {**d, "cluster_id": clusters.get(str(d["subject_id"]))},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for d in documents
    ]
