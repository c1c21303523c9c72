"""Listing the decisions about pairs that hold at a read point: a page of link rows.

A pair's periods never overlap in effective time, so at one point each pair has at most one
row, and pages are ordered by link id like every other list.
"""

from __future__ import annotations

import json
from typing import Any

from application.read_points import ReadPoint, encode_cursor
from application.views.conditions import valid
from application.views.rows import stamp
from application.views.store import ViewStore


def link_page(
    views: ViewStore,
    point: ReadPoint,
    status: str | None,
    subject_id: str | None,
    after: str | None,
    limit: int,
) -> dict[str, Any]:
    """Up to ``limit`` pairs' rows at the point, after link id ``after``; filtered by the
    decision holding (``status``) and by one of the two subjects."""
    condition, params = valid("l", stamp(point.as_of), point.position)
    clauses = [condition]
    if status is not None:
        clauses.append("l.status = ?")
        params.append(status)
    if subject_id is not None:
        clauses.append("(l.subject_a = ? OR l.subject_b = ?)")
        params += [subject_id, subject_id]
    if after is not None:
        clauses.append("l.link_id > ?")
        params.append(after)
    sql = (
        f"SELECT l.link_id, l.document FROM link_segments l WHERE {' AND '.join(clauses)} "
        "ORDER BY l.link_id LIMIT ?"
    )
    with views.transaction(commit=False) as cursor:
        cursor.execute(sql, [*params, limit])
        rows = cursor.fetchall()
    items = [json.loads(row["document"]) for row in rows]
    last = str(rows[-1]["link_id"]) if len(rows) == limit else None
    return {
        "items": items,
        "next_cursor": None if last is None else encode_cursor(last, point),
        **point.describe(),
    }
