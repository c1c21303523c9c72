"""The link view: each pair's decisions as bitemporal rows (``schema.LINK_SEGMENTS``).

A pair's decisions divide effective time into periods (``Link.periods``): linked from the
linking's effective time to the unlinking's, then unlinked, or rejected. Each period is one
row, with a digest of its document; an event closes (at its position) the open rows whose
digest it changed and opens the new ones, as the projector does for measures. A pair has few
decisions, so its rows are derived whole at each event and its open rows read in the batch's
own transaction, where the rows of the batch's earlier events are already written.

The projector brings each link up to its event before the write transaction opens: from the
link it remembers, or read from the store at the event's version. What it remembers is only
the aggregate's state, never the views' rows, so a batch that fails leaves nothing to forget.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository

from application.documents import iso, plain
from application.views.conditions import valid
from application.views.queries import Side
from application.views.rows import stamp
from application.views.store import Cursor, ViewStore
from domain.link import Link, Period

INSERT_LINK = (
    "INSERT INTO link_segments (link_id, eff_from, rec_from, eff_to, rec_to, subject_a, "
    "subject_b, status, digest, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
CLOSE_LINK = (
    "UPDATE link_segments SET rec_to = ? WHERE link_id = ? AND eff_from = ? AND rec_from = ?"
)
OPEN_LINKS = (
    "SELECT eff_from, rec_from, digest FROM link_segments WHERE link_id = ? AND rec_to IS NULL"
)


@dataclass(frozen=True)
class LinkRow:
    link_id: str
    eff_from: str
    eff_to: str | None
    subject_a: str
    subject_b: str
    status: str
    digest: str
    document: str


def decision_document(event: Link.Event) -> dict[str, Any]:
    """One decision as the reads show it: who, when, why, on what evidence."""
    return {
        "event_id": event.event_id,
        "type": event.STATUS,
        "recorded_at": iso(event.timestamp),
        "effective_at": iso(event.effective_at),
        "recorded_by": plain(event.recorded_by),
        "reason": event.reason,
        "source": plain(event.source),
        "evidence": plain(event.evidence),
    }


def period_document(link: Link, period: Period) -> dict[str, Any]:
    return {
        "link_id": str(link.id),
        "subject_ids": [str(s) for s in link.subject_ids],
        "status": period.status,
        "effective_from": iso(period.start),
        "effective_until": None if period.end is None else iso(period.end),
        "decision": decision_document(period.decision),
        "ended_by": None if period.ended_by is None else decision_document(period.ended_by),
    }


def link_rows(link: Link) -> list[LinkRow]:
    """Every row that should be open for the link as it stands."""
    rows = []
    first, second = (str(s) for s in link.subject_ids)
    for period in link.periods():
        text = json.dumps(period_document(link, period), sort_keys=True, ensure_ascii=False)
        rows.append(
            LinkRow(
                link_id=str(link.id),
                eff_from=stamp(period.start),
                eff_to=None if period.end is None else stamp(period.end),
                subject_a=first,
                subject_b=second,
                status=period.status,
                digest=hashlib.sha256(text.encode()).hexdigest(),
                document=text,
            )
        )
    return rows


class LinkProjection:
    """Brings links up to their events and writes their rows."""

    def __init__(self, repository: Repository[UUID], cache_size: int = 10_000) -> None:
        self.repository = repository
        self.cache_size = cache_size
        self.links: OrderedDict[UUID, Link] = OrderedDict()

    def advance(self, event: Link.Event) -> list[LinkRow]:
        """The link's rows after the event (called in log order, outside the transaction)."""
        link_id = event.originator_id
        known = self.links.pop(link_id, None)
        if event.originator_version == 1:
            link = event.mutate(None)
        elif known is not None and known.version == event.originator_version - 1:
            link = event.mutate(known)
        else:
            link = self.repository.get(link_id, version=event.originator_version)
        assert isinstance(link, Link)
        self.links[link_id] = link
        if len(self.links) > self.cache_size:
            self.links.popitem(last=False)
        return link_rows(link)

    @staticmethod
    def refresh(cursor: Cursor, rows: list[LinkRow], link_id: str, position: int) -> None:
        """Close the link's open rows that the event changed and open its new ones."""
        cursor.execute(OPEN_LINKS, (link_id,))
        found = cursor.fetchall()
        open_rows = {row["digest"]: (row["eff_from"], int(row["rec_from"])) for row in found}
        wanted = {row.digest for row in rows}
        closed = [(position, link_id, *key) for d, key in open_rows.items() if d not in wanted]
        added = [
            (r.link_id, r.eff_from, position, r.eff_to, None, r.subject_a, r.subject_b, r.status,
             r.digest, r.document)
            for r in rows
            if r.digest not in open_rows
        ]  # fmt: skip
        cursor.executemany(CLOSE_LINK, closed)
        cursor.executemany(INSERT_LINK, added)


# Deltas ----------------------------------------------------------------------------------


def changed_links(views: ViewStore, first: Side, second: Side, floor: str) -> list[str]:
    """The ids, from ``floor`` on and in order, of the links whose rows may read differently
    at the two points: those with a row recorded, closed, starting or ending between them
    (as ``ViewQueries.changed_subjects`` reasons for subjects)."""
    (low_as_of, high_as_of), (low, high) = (
        sorted((first[0], second[0])),
        sorted((first[1], second[1])),
    )
    parts, params = [], []
    for column, low_end, high_end in (
        ("rec_from", low, high),
        ("rec_to", low, high),
        ("eff_from", low_as_of, high_as_of),
        ("eff_to", low_as_of, high_as_of),
    ):
        parts.append(
            f"SELECT l.link_id AS id FROM link_segments l WHERE l.{column} > ? "
            f"AND l.{column} <= ? AND l.link_id >= ?"
        )
        params += [low_end, high_end, floor]
    sql = " UNION ".join(parts) + " ORDER BY 1"
    with views.transaction(commit=False) as cursor:
        cursor.execute(sql, params)
        return [str(row["id"]) for row in cursor.fetchall()]


def linked_rows(views: ViewStore, side: Side, link_ids: list[str]) -> dict[str, tuple[str, str]]:
    """(digest, document) of each of the links linked at the point."""
    if not link_ids:
        return {}
    condition, params = valid("l", side[0], side[1])
    marks = ", ".join("?" * len(link_ids))
    sql = (
        f"SELECT l.link_id, l.digest, l.document FROM link_segments l WHERE {condition} "
        f"AND l.status = 'linked' AND l.link_id IN ({marks})"
    )
    with views.transaction(commit=False) as cursor:
        cursor.execute(sql, [*params, *link_ids])
        rows = cursor.fetchall()
    return {str(r["link_id"]): (str(r["digest"]), str(r["document"])) for r in rows}
