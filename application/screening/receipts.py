"""Screening receipts: every screening kept, so that it can be shown and redone later.

A receipt holds what was asked (the queries, threshold, limit and filters), the read point it
was answered at (``as_of``, ``known_at`` and the log position), the signed checkpoint of the
log at that position, and the answer. Receipts are operational records like API keys, not
facts of the ledger: they live in a table beside the service's others, never in the log.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from application.tables import Tables
from domain.errors import NotFound

DDL = [
    """CREATE TABLE IF NOT EXISTS {ledger_screenings} (
        screening_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        requested_by TEXT,
        request TEXT NOT NULL,
        answer TEXT NOT NULL
    )""",
]
INSERT = (
    "INSERT INTO {ledger_screenings} (screening_id, created_at, requested_by, request, answer) "
    "VALUES (?, ?, ?, ?, ?)"
)
SELECT = "SELECT request, answer FROM {ledger_screenings} WHERE screening_id = ?"
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


class ScreeningNotFound(NotFound):
    """No screening has the id asked for."""


def new_screening_id() -> str:
    """``scr_`` and 26 random characters (130 bits): unguessable, safe in a URL."""
    return "scr_" + "".join(secrets.choice(ALPHABET) for _ in range(26))


class Receipts:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        tables.create(DDL)

    def keep(
        self,
        screening_id: str,
        created_at: str,
        requested_by: str | None,
        request: dict[str, Any],
        answer: dict[str, Any],
    ) -> None:
        with self.tables.transaction(commit=True) as statements:
            statements.execute(
                INSERT,
                (screening_id, created_at, requested_by, _json(request), _json(answer)),
            )

    def get(self, screening_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The request and the answer of a screening."""
        with self.tables.transaction(commit=False) as statements:
            statements.execute(SELECT, (screening_id,))
            row = statements.fetchone()
        if row is None:
            raise ScreeningNotFound(f"no screening has the id {screening_id!r}")
        return json.loads(row["request"]), json.loads(row["answer"])


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
