"""Two processes writing one SQLite file: a write transaction that reads before it writes is
not refused because the other committed in between (``application.stores.sqlite_datastore``).

Two datastores on one file stand for two processes: each has its own pool and connections,
so SQLite's own locks are all that keeps them apart, as between processes."""

from __future__ import annotations

import threading
from pathlib import Path

from eventsourcing.utils import Environment

from application.stores.sqlite_datastore import LedgerSQLiteFactory


def factory(path: Path) -> LedgerSQLiteFactory:
    return LedgerSQLiteFactory(
        Environment(env={"SQLITE_DBNAME": str(path), "SQLITE_LOCK_TIMEOUT": "10"})
    )


def test_a_write_that_read_first_waits_for_the_other_writer_instead_of_failing(
    tmp_path: Path,
) -> None:
    first, second = factory(tmp_path / "ledger.db"), factory(tmp_path / "ledger.db")
    try:
        with first.datastore.transaction(commit=True) as cursor:
            cursor.execute("CREATE TABLE rows (n INTEGER)")
        read, errors = threading.Event(), []

        def read_then_write() -> None:
            try:
                with first.datastore.transaction(commit=True) as cursor:
                    cursor.execute("SELECT count(*) FROM rows")
                    read.set()
                    threading.Event().wait(0.3)  # the other writer comes now
                    cursor.execute("INSERT INTO rows VALUES (1)")
            except Exception as error:  # reported below, in the test's thread
                errors.append(error)
                read.set()

        reader = threading.Thread(target=read_then_write)
        reader.start()
        assert read.wait(10)
        with second.datastore.transaction(commit=True) as cursor:
            cursor.execute("INSERT INTO rows VALUES (2)")
        reader.join(10)
        assert errors == []
        with second.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT n FROM rows ORDER BY rowid")
            assert [row[0] for row in cursor.fetchall()] == [1, 2]
    finally:
        first.close()
        second.close()
