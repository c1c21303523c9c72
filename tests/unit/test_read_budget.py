"""Reads within a budget (``application.read_budget``): SQLite stops a read of this thread
once it has taken longer than the budget, and nothing outside the budget is ever stopped."""

from __future__ import annotations

from pathlib import Path

import pytest

from application.bootstrap import bootstrap
from application.read_budget import OverBudget, within
from application.settings import Settings

LONG = (
    "WITH RECURSIVE counted(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM counted "
    "LIMIT 3000000) SELECT COUNT(*) AS n FROM counted"
)
"""A read of a few hundred milliseconds."""


def test_a_read_past_its_budget_stops_and_one_without_a_budget_does_not(tmp_path: Path) -> None:
    services = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'ledger.db'}"))
    try:
        views = services.views

        def count() -> int:
            with views.transaction(commit=False) as cursor:
                cursor.execute(LONG)
                row = cursor.fetchone()
                assert row is not None
                return int(row["n"])

        with pytest.raises(OverBudget), within(0.01):
            count()
        assert count() == 3_000_000  # the same connection, with no budget left over
        with within(60):
            assert count() == 3_000_000
        with pytest.raises(ValueError, match="not the read"), within(0.01):
            raise ValueError("not the read")  # other errors pass as they are
    finally:
        services.close()
