"""A start's parts create their tables under PostgreSQL's creation lock in turn on one
connection (``application.stores.startup``): each still takes and gives back the lock around
its own tables, the start closes the connection at its end, and a thread of its own or a
creation outside any start opens one of its own, as before."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from eventsourcing.postgres import PostgresDatastore

from application.stores.postgres_sql import CREATION_LOCK, creation_lock
from application.stores.startup import one_start
from tests.support.stores import PostgresDatabase

HOLDER = (
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND objid = hashtext(%s)::oid "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
"""The session holding the lock in this database (advisory locks belong to one)."""


@pytest.fixture
def datastore(postgres: PostgresDatabase) -> Iterator[PostgresDatastore]:
    store = PostgresDatastore(
        dbname=postgres.name, host="127.0.0.1", port="5432", user="postgres", password=""
    )
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def watcher(postgres: PostgresDatabase) -> Iterator[psycopg.Connection[Any]]:
    """A session apart, which sees who holds the lock."""
    with psycopg.connect(postgres.url, autocommit=True) as connection:
        yield connection


def holder(watcher: psycopg.Connection[Any]) -> int | None:
    row = watcher.execute(HOLDER, (CREATION_LOCK,)).fetchone()
    return None if row is None else int(row[0])


def free(watcher: psycopg.Connection[Any]) -> bool:
    """Whether another session can take the lock now (taken and given back at once)."""
    row = watcher.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (CREATION_LOCK,))
    taken = row.fetchone()
    assert taken is not None
    if taken[0]:
        watcher.execute("SELECT pg_advisory_unlock(hashtext(%s))", (CREATION_LOCK,))
    return bool(taken[0])


def alive(watcher: psycopg.Connection[Any], pid: int) -> bool:
    row = watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
    found = row.fetchone()
    return found is not None and found[0] == 1


def gone(watcher: psycopg.Connection[Any], pid: int, seconds: float = 10.0) -> bool:
    """Whether the session ends: its server process leaves a moment after the client closes
    the connection, not at once."""
    deadline = time.monotonic() + seconds
    while alive(watcher, pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_start_takes_the_lock_in_turn_on_one_connection_and_closes_it(
    datastore: PostgresDatastore, watcher: psycopg.Connection[Any]
) -> None:
    holders = []
    with one_start():
        for _ in range(3):
            with creation_lock(datastore):
                holders.append(holder(watcher))
                assert not free(watcher), "held inside the block"
            assert free(watcher), "given back between two parts"
        [pid] = set(holders)
        assert pid is not None and alive(watcher, pid)
    assert gone(watcher, pid), "closed at the end of the start"


def test_outside_a_start_each_creation_opens_and_closes_its_own(
    datastore: PostgresDatastore, watcher: psycopg.Connection[Any]
) -> None:
    holders = []
    for _ in range(2):
        with creation_lock(datastore):
            holders.append(holder(watcher))
    first, second = holders
    assert first is not None and second is not None and first != second
    assert gone(watcher, first) and gone(watcher, second)


def test_another_thread_of_the_start_opens_its_own(
    datastore: PostgresDatastore, watcher: psycopg.Connection[Any]
) -> None:
    """Two threads on one session would both hold its advisory lock at once."""
    seen: list[int | None] = []

    def create_in_thread() -> None:
        with creation_lock(datastore):
            seen.append(holder(watcher))

    with one_start():
        with creation_lock(datastore):
            mine = holder(watcher)
        thread = threading.Thread(target=create_in_thread)
        thread.start()
        thread.join(10)
        assert seen and seen[0] is not None and seen[0] != mine


def test_a_failure_inside_gives_the_lock_back_and_the_next_part_goes_on(
    datastore: PostgresDatastore, watcher: psycopg.Connection[Any]
) -> None:
    with one_start():
        with pytest.raises(RuntimeError), creation_lock(datastore):
            raise RuntimeError("a part failed half way")
        assert free(watcher)
        with creation_lock(datastore):
            assert holder(watcher) is not None
