"""The list and the difference as files: CSV with one row per measure or change, JSON as the
API would answer (with the read point it answers for)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from starlette.responses import Response

Column = tuple[str, Callable[[dict[str, Any]], Any]]


def _names(document: dict[str, Any]) -> str:
    return str(document.get("primary_name") or "")


def _joined(values: Any) -> str:
    return "; ".join(str(v) for v in values or ())


def _references(document: dict[str, Any]) -> str:
    return _joined(f"{r['authority']}:{r['id']}" for r in document.get("references") or ())


MEASURE_COLUMNS: list[Column] = [
    ("measure_id", lambda m: m["measure_id"]),
    ("subject_id", lambda m: m["subject_id"]),
    ("name", _names),
    ("subject_kind", lambda m: m.get("subject_kind")),
    ("references", _references),
    ("authority", lambda m: m["authority"]),
    ("kind", lambda m: m["kind"]),
    ("programs", lambda m: _joined(m.get("programs"))),
    ("legal_basis", lambda m: m.get("legal_basis")),
    ("effective_from", lambda m: m.get("effective_from")),
    ("effective_until", lambda m: m.get("effective_until")),
    ("rescinded_at", lambda m: m.get("rescinded_at")),
    ("source", lambda m: (m.get("source") or {}).get("reference")),
    ("source_url", lambda m: (m.get("source") or {}).get("url")),
]


def _side(item: dict[str, Any]) -> dict[str, Any]:
    side = item["after"] or item["before"] or {}
    return side if isinstance(side, dict) else {}


CHANGE_COLUMNS: list[Column] = [
    ("change", lambda c: c["change"]),
    ("entity", lambda c: c["entity"]),
    ("id", lambda c: c["id"]),
    ("name", lambda c: _names(_side(c)) or (_side(c).get("profile") or {}).get("primary_name")),
    ("authority", lambda c: _side(c).get("authority")),
    ("kind", lambda c: _side(c).get("kind")),
    ("programs", lambda c: _joined(_side(c).get("programs"))),
    ("effective_from", lambda c: _side(c).get("effective_from")),
    ("effective_until", lambda c: _side(c).get("effective_until")),
]


def csv_text(columns: list[Column], items: Iterable[dict[str, Any]]) -> str:
    """A cell that begins like a formula is prefixed with ``'``, so that a spreadsheet
    opening the file shows a name as text rather than running it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _ in columns])
    for item in items:
        writer.writerow([_cell(read(item)) for _, read in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_answer(columns: list[Column], items: list[dict[str, Any]], filename: str) -> Response:
    return Response(
        csv_text(columns, items),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def json_download(document: dict[str, Any], filename: str) -> Response:
    return Response(
        json.dumps(document, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
