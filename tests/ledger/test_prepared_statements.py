"""SQLite connections keep the statements they prepared, rather than parse and plan each one
again whenever another ran in between (the library's ``cached_statements=True`` keeps one)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from eventsourcing.sqlite import SQLiteDatastore

from application.stores.memory import private_sqlite
from application.stores.sqlite_datastore import ScratchDatastore, WriteLockingDatastore


def _preparations(datastore: SQLiteDatastore) -> list[int]:
    """How many times SQLite's compiler has run after each of three rounds of two statements
    taking turns on one connection: it calls the authorizer as it compiles, never as a
    prepared statement runs again."""
    with datastore.transaction(commit=True) as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS t (a INTEGER)")
    connection = datastore.pool.get_connection(is_writer=False)
    try:
        raw = connection._sqlite_conn
        compiled: list[int] = []

        def authorize(*_: object) -> int:
            compiled.append(1)
            return sqlite3.SQLITE_OK

        raw.set_authorizer(authorize)
        counts = []
        for _ in range(3):
            raw.execute("SELECT a FROM t WHERE a = ?", (1,)).fetchall()
            raw.execute("SELECT COUNT(*) FROM t").fetchall()
            counts.append(len(compiled))
        raw.set_authorizer(None)
        return counts
    finally:
        datastore.pool.put_connection(connection)
        datastore.close()


@pytest.mark.parametrize("kind", ["ledger's file", "scratch file", "private memory"])
def test_statements_taking_turns_are_compiled_once(kind: str, tmp_path: Path) -> None:
    datastore: SQLiteDatastore
    if kind == "ledger's file":
        datastore = WriteLockingDatastore(str(tmp_path / "ledger.db"))
    elif kind == "scratch file":
        datastore = ScratchDatastore(str(tmp_path / "part.db"))
    else:
        datastore = private_sqlite("statements")
    first, second, third = _preparations(datastore)
    assert first > 0
    assert second == first
    assert third == first


def test_the_librarys_own_pool_compiles_them_again_each_time(tmp_path: Path) -> None:
    """What the pool above puts right: with the library's connections, each round compiles
    both statements again."""
    first, second, third = _preparations(SQLiteDatastore(str(tmp_path / "library.db")))
    assert second == 2 * first
    assert third == 3 * first
