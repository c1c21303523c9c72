"""Any number of processes may start at once on an empty PostgreSQL database: the API and
the projection worker of ``docker compose up`` do, and so do the writers of a load test.

Every startup creates the event store's, the views' and the service's own tables. Run side
by side, ``CREATE ... IF NOT EXISTS`` statements collide in PostgreSQL's catalog ("tuple
concurrently updated", a duplicate type or index) and kill a process; the ledger creates
tables under one advisory lock per database (``application.storage.creation_lock``).
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from multiprocessing.synchronize import Barrier

import pytest

from application.bootstrap import bootstrap
from application.settings import Settings
from tests.support.private_postgres import empty_database
from tests.support.stores import ADMIN_URL

PROCESSES = 4
ROUNDS = 20
# Forked from a fork server that has imported the ledger once: each child is a new process
# that runs the whole startup on its own connections, without the second or so a fresh
# interpreter spends importing, which would spread the starts too far apart to collide (and
# make 80 starts slow on 2 cores). The server is single-threaded, so forking it is safe, as
# forking the test process (whose other threads may hold locks) would not be.
FORK = multiprocessing.get_context("forkserver")
FORK.set_forkserver_preload(["application.bootstrap", __name__])


def start(database_url: str, barrier: Barrier, failures: multiprocessing.SimpleQueue[str]) -> None:
    """One process's real startup path: event store, views, keys and idempotency tables."""
    try:
        barrier.wait(timeout=30)
        bootstrap(Settings(database_url=database_url, projections="external")).close()
    except BaseException as error:
        failures.put("".join(traceback.format_exception_only(error)).strip())
        raise


def start_together(database_url: str) -> list[str]:
    """Start the processes at the same moment; why those that died did."""
    barrier = FORK.Barrier(PROCESSES)
    failures: multiprocessing.SimpleQueue[str] = FORK.SimpleQueue()
    processes = [
        FORK.Process(target=start, args=(database_url, barrier, failures)) for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        if process.exitcode is None:
            process.kill()
            process.join()
    died = [f"exit code {p.exitcode}" for p in processes if p.exitcode != 0]
    reasons = []
    while not failures.empty():
        reasons.append(failures.get())
    return reasons or died


@pytest.mark.slow
@pytest.mark.postgres
def test_processes_starting_at_once_on_an_empty_database_all_start() -> None:
    started = time.monotonic()
    failures: dict[int, list[str]] = {}
    for round_number in range(1, ROUNDS + 1):
        # A brand-new database each round: a fresh schema in an old database already has
        # some of what a first start creates, and would not meet every race.
        with empty_database(ADMIN_URL) as url:
            died = start_together(url)
        if died:
            failures[round_number] = died
    assert not failures, f"processes died in {len(failures)} of {ROUNDS} rounds: {failures}"
    assert time.monotonic() - started < 120
