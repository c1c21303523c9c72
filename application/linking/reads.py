"""Reading one link and one cluster at a point in both times.

A link is read whole: every decision about the pair known at the point's position, from the
event store (a decision that a later one overrode at the same effective time holds over no
period, yet it was made and is shown), and the periods the views hold for it. A cluster is
read from the views: its links, then each member as the subject reads return it, and every
measure of every member with its authority.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.documents import iso
from application.ledger import Ledger
from application.linking.clusters import (
    ClusterNotFound,
    ReadAt,
    canonical_id,
    cluster_links,
    member_of,
    members,
)
from application.log_positions import LogPositions
from application.views.links import decision_document
from application.views.rows import stamp
from application.views.store import ViewStore
from domain.errors import LinkNotFound
from domain.link import Link

PERIODS = (
    "SELECT eff_from, document FROM link_segments l WHERE l.link_id = ? "
    "AND l.rec_from <= ? AND (l.rec_to IS NULL OR l.rec_to > ?) ORDER BY eff_from"
)


def read_link(
    ledger: Ledger, positions: LogPositions, views: ViewStore, link_id: UUID, point: ReadAt
) -> dict[str, Any]:
    """The pair's decisions and periods as known at the point, and its status at ``as_of``
    (None before its first decision takes effect)."""
    known = [v for v, p in positions.of(link_id).items() if p <= point.position]
    if not known:
        raise LinkNotFound(f"no link has the id {link_id} at position {point.position}")
    try:
        link: object = ledger.repository.get(link_id, version=max(known))
    except AggregateNotFoundError:
        raise LinkNotFound(f"no link has the id {link_id}") from None
    if not isinstance(link, Link):
        raise LinkNotFound(f"no link has the id {link_id}")
    with views.transaction(commit=False) as cursor:
        cursor.execute(PERIODS, [str(link_id), point.position, point.position])
        rows = cursor.fetchall()
    periods = [json.loads(row["document"]) for row in rows]
    at = stamp(point.as_of)
    started = [p for row, p in zip(rows, periods, strict=True) if row["eff_from"] <= at]
    versions = positions.of(link_id)
    return {
        "link_id": str(link_id),
        "subject_ids": [str(s) for s in link.subject_ids],
        "status": started[-1]["status"] if started else None,
        "decisions": [
            {**decision_document(d), "position": versions.get(d.originator_version)}
            for d in link.decisions
        ],
        "periods": periods,
    }


def measure_line(measure: dict[str, Any]) -> str:
    """A measure in words: "designation by US-OFAC since 2021-12-10 (DPRK3)"."""
    kind = str(measure["kind"]).replace("_", " ")
    since = str(measure["effective_from"])[:10]
    programs = ", ".join(measure.get("programs") or [])
    until = measure.get("effective_until") or measure.get("rescinded_at")
    line = f"{kind} by {measure['authority']} since {since}"
    if until and not measure.get("in_force", True):
        line = f"{kind} by {measure['authority']} from {since} until {str(until)[:10]}"
    return f"{line} ({programs})" if programs else line


def cluster_document(
    views: ViewStore,
    cluster_id: str,
    point: ReadAt,
    subject: Callable[[UUID], dict[str, Any]],
) -> dict[str, Any]:
    """The cluster holding the subject a cluster id names: its canonical id, its links,
    each member (as ``subject(member_id)`` reads it) and every measure of every member.

    ``subject`` reads one subject at the point: the caller's reader, so that the members
    read exactly as ``GET /v1/subjects/{id}`` would."""
    start = str(member_of(cluster_id))
    links = cluster_links(views, start, point)
    if not links:
        raise ClusterNotFound(
            f"subject {start} is linked to no other subject at position {point.position}, "
            f"as of {iso(point.as_of)}"
        )
    ids = members(links)
    documents = [subject(UUID(member)) for member in ids]
    measures = [
        {**m, "summary": measure_line(m)} for document in documents for m in document["measures"]
    ]
    return {
        "cluster_id": canonical_id(ids),
        "members": documents,
        "measures": measures,
        "links": links,
    }
