"""PostgreSQL reads of the views (``application.stores.postgres_views``): a read without a
snapshot is a statement at a time, one round trip each, in the ledger's schema and without
JIT compilation; a read with a snapshot and every write stay transactions."""

from __future__ import annotations

from typing import Any

import pytest

from application.bootstrap import Services

ALONE = "SELECT now() = statement_timestamp() AS alone"
"""Whether the statement is a transaction of its own: ``now()`` is when the transaction
began, ``statement_timestamp()`` when the statement did."""


def _settings_and_alone(cursor: Any) -> tuple[str, str, bool]:
    cursor.execute("SELECT current_setting('search_path') AS path, current_setting('jit') AS jit")
    row = cursor.fetchone()
    cursor.execute("SELECT pg_sleep(0.002)")  # so that a transaction began before the next
    cursor.fetchall()
    cursor.execute(ALONE)
    alone = cursor.fetchone()
    assert row is not None and alone is not None
    return str(row["path"]), str(row["jit"]), bool(alone["alone"])


@pytest.mark.parametrize("store_kind", ["postgres"], indirect=True)
def test_a_read_is_a_statement_at_a_time_in_the_ledger_s_schema(services: Services) -> None:
    schema = services.views.datastore.schema  # type: ignore[union-attr]
    for _ in range(2):  # a connection new to the pool, then one it gave out before
        with services.views.transaction(commit=False) as cursor:
            path, jit, alone = _settings_and_alone(cursor)
        assert path.strip('"') == schema and jit == "off" and alone
    with services.views.transaction(commit=False, snapshot=True) as cursor:
        path, jit, alone = _settings_and_alone(cursor)
    assert path.strip('"') == schema and jit == "off" and not alone
    with services.views.transaction(commit=True) as cursor:
        path, jit, alone = _settings_and_alone(cursor)
    assert path.strip('"') == schema and jit == "off" and not alone
