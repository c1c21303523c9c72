"""Screening across clusters: each hit names its subject's cluster, and hits can be grouped.

A cluster is the set of subjects that links join at a point in both times
(``application.linking.clusters``). Every hit of a screening carries its subject's cluster at
the screening's read point (its canonical id and the other members, as a subject read names
them), or null. Asked per cluster (``cluster=true``), a screening answers one hit per cluster:
the best-scoring member stands for it, and the hit lists every member with its authority and
its measures in force, so that "is this person sanctioned, and by whom?" reads in one hit.

The lookups are made for one screening at one read point and remember what they found: a
batch of 100,000 rows asks the views about each subject once, however many rows hit it. A
cluster is found by walking its links from the subjects asked about (a few indexed queries),
never by reading every link, so the cost follows the hits, not the number of links.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from application.linking.clusters import MAX_MEMBERS, WALK_BATCH, canonical_id, component_roots
from application.linking.reads import measure_line
from application.views.conditions import valid
from application.views.store import Cursor, ViewStore

WALK = (
    "SELECT subject_a, subject_b FROM link_segments l WHERE {valid} AND l.status = 'linked' "
    "AND (l.subject_a IN ({marks}) OR l.subject_b IN ({marks}))"
)
ANY_LINK = "SELECT 1 AS found FROM link_segments l WHERE l.rec_from <= ? LIMIT 1"
PROFILES = (
    "SELECT subject_id, kind, primary_name FROM profile_segments p "
    "WHERE p.subject_id IN ({marks}) AND {valid}"
)
MEASURES = (
    "SELECT subject_id, document FROM measure_segments m "
    "WHERE m.subject_id IN ({marks}) AND {valid} ORDER BY m.subject_id, m.measure_id"
)


class ClusterLookup:
    """The clusters, and their members' names and measures, at one read point."""

    def __init__(self, views: ViewStore, effective: str, position: int) -> None:
        self.views = views
        self.effective = effective
        self.position = position
        self._members: dict[str, tuple[str, ...] | None] = {}
        self._details: dict[str, dict[str, Any]] = {}
        self._any_links: bool | None = None

    def _linked_at_all(self, cursor: Cursor) -> bool:
        """Whether any link decision was known at the position: if none, no subject is in
        a cluster, and a batch asks no more (most ledgers screen before any link)."""
        if self._any_links is None:
            cursor.execute(ANY_LINK, [self.position])
            self._any_links = cursor.fetchone() is not None
        return self._any_links

    # Clusters -------------------------------------------------------------------------------

    def members_of(self, subject_ids: Iterable[str]) -> dict[str, tuple[str, ...] | None]:
        """Every member of each subject's cluster (itself included, sorted), or None for a
        subject linked to no other at the point."""
        asked = list(dict.fromkeys(subject_ids))
        unknown = [subject_id for subject_id in asked if subject_id not in self._members]
        if unknown:
            with self.views.transaction(commit=False) as cursor:
                pairs = self._walk(cursor, unknown) if self._linked_at_all(cursor) else set()
            for component in _components(pairs):
                for member in component:
                    self._members[member] = component
            for subject_id in unknown:
                self._members.setdefault(subject_id, None)
        return {subject_id: self._members[subject_id] for subject_id in asked}

    def _walk(self, cursor: Cursor, starts: list[str]) -> set[tuple[str, str]]:
        """The pairs linked at the point that join the starting subjects to others, walked
        link by link until every start's cluster is whole (or past ``MAX_MEMBERS``)."""
        condition, params = valid("l", self.effective, self.position)
        seen, frontier = set(starts), list(starts)
        pairs: set[tuple[str, str]] = set()
        while frontier and len(seen) <= MAX_MEMBERS + len(starts):
            batch, frontier = frontier[:WALK_BATCH], frontier[WALK_BATCH:]
            marks = ",".join("?" * len(batch))
            cursor.execute(WALK.format(valid=condition, marks=marks), [*params, *batch, *batch])
            for row in cursor.fetchall():
                pair = (str(row["subject_a"]), str(row["subject_b"]))
                pairs.add(pair)
                for member in pair:
                    if member not in seen:
                        seen.add(member)
                        frontier.append(member)
        return pairs

    # Members --------------------------------------------------------------------------------

    def details(self, subject_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Each subject's kind, primary name and measures in force at the point, each
        measure with the words of a cluster read ("designation by UN-SC since ...")."""
        unknown = [s for s in dict.fromkeys(subject_ids) if s not in self._details]
        for start in range(0, len(unknown), WALK_BATCH):
            self._read_details(unknown[start : start + WALK_BATCH])
        return {subject_id: self._details[subject_id] for subject_id in subject_ids}

    def _read_details(self, chunk: list[str]) -> None:
        marks = ",".join("?" * len(chunk))
        found: dict[str, dict[str, Any]] = {
            s: {"subject_id": s, "kind": None, "primary_name": None, "measures": []} for s in chunk
        }
        with self.views.transaction(commit=False) as cursor:
            condition, params = valid("p", self.effective, self.position)
            cursor.execute(PROFILES.format(marks=marks, valid=condition), [*chunk, *params])
            for row in cursor.fetchall():
                found[row["subject_id"]].update(kind=row["kind"], primary_name=row["primary_name"])
            condition, params = valid("m", self.effective, self.position)
            cursor.execute(MEASURES.format(marks=marks, valid=condition), [*chunk, *params])
            for row in cursor.fetchall():
                found[row["subject_id"]]["measures"].append(_measure(json.loads(row["document"])))
        self._details.update(found)


def _components(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, ...]]:
    """The connected components of the pairs, each as its sorted members."""
    grouped: dict[str, list[str]] = {}
    for node, root in component_roots(pairs).items():
        grouped.setdefault(root, []).append(node)
    return [tuple(sorted(members)) for members in grouped.values()]


def _measure(document: dict[str, Any]) -> dict[str, Any]:
    """A measure in force as a grouped hit lists it."""
    measure = {
        "measure_id": document["measure_id"],
        "authority": document["authority"],
        "kind": document["kind"],
        "programs": list(document.get("programs") or []),
        "effective_from": document["effective_from"],
    }
    return {**measure, "summary": measure_line(measure)}


def cluster_ref(subject_id: str, members: tuple[str, ...] | None) -> dict[str, Any] | None:
    """A subject's cluster as a subject read names it: the canonical id and the others."""
    if members is None:
        return None
    return {
        "cluster_id": canonical_id(members),
        "members": [member for member in members if member != subject_id],
    }


def with_clusters(hits: list[dict[str, Any]], lookup: ClusterLookup) -> list[dict[str, Any]]:
    """The hits, each naming its subject's cluster (or null)."""
    clusters = lookup.members_of(hit["subject_id"] for hit in hits)
    return [
        {**hit, "cluster": cluster_ref(hit["subject_id"], clusters[hit["subject_id"]])}
        for hit in hits
    ]


def grouped(hits: list[dict[str, Any]], lookup: ClusterLookup) -> list[dict[str, Any]]:
    """One hit per cluster, in the order of each cluster's best member (the hits come best
    first); a subject in no cluster stays a hit of its own (``members`` null).

    A cluster's hit is its best member's, with every member listed (matched or not, whatever
    the filters), its measures in force, and the authorities and measures of all of them in
    words. Members that matched too carry their own score and matched name."""
    clusters = lookup.members_of(hit["subject_id"] for hit in hits)
    order: list[tuple[dict[str, Any], tuple[str, ...] | None]] = []
    matched: dict[str, list[dict[str, Any]]] = {}
    for hit in hits:
        members = clusters[hit["subject_id"]]
        key = None if members is None else canonical_id(members)
        if key is not None and key in matched:
            matched[key].append(hit)
            continue
        if key is not None:
            matched[key] = [hit]
        order.append((hit, members))
    return [
        {**hit, "members": None, "authorities": None, "summary": None}
        if members is None
        else _cluster_hit(hit, members, matched[canonical_id(members)], lookup)
        for hit, members in order
    ]


def _cluster_hit(
    hit: dict[str, Any],
    members: tuple[str, ...],
    matching: list[dict[str, Any]],
    lookup: ClusterLookup,
) -> dict[str, Any]:
    """The cluster's hit: its best member's (``hit``), listing every member."""
    matched = {m["subject_id"]: m for m in matching}
    details = lookup.details(members)
    listed = [
        {
            **details[member],
            "score": matched[member]["score"] if member in matched else None,
            "matched_name": matched[member]["matched_name"] if member in matched else None,
        }
        for member in members
    ]
    measures = [measure for member in listed for measure in member["measures"]]
    return {
        **hit,
        "members": listed,
        "authorities": sorted({measure["authority"] for measure in measures}),
        "summary": "; ".join(measure["summary"] for measure in measures),
    }
