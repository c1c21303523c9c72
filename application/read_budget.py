"""A time budget for reads that a thread makes, enforced by SQLite itself.

Handing a read to a worker thread and back costs the event loop more than a short SQLite
read does, and the threads then contend for the interpreter's lock (``api.blocking``). A read
whose length depends on the data (a page of a list: a few rows, or a scan past every row not
in force) may try on the event loop within a budget: SQLite calls ``past_deadline`` every few
thousand steps of its virtual machine, and once the budget is spent the statement stops with
an error, which ``within`` turns into ``OverBudget``; the caller then makes the read in a
worker thread instead. Reads outside ``within`` have no deadline and are never stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

STEPS = 4000
"""How many virtual machine steps SQLite takes between two looks at the deadline."""


class OverBudget(Exception):
    """A read stopped at its deadline: make it again where it may take its time."""


class _Deadline(threading.local):
    at: float | None = None
    hit: bool = False


_deadline = _Deadline()


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Reads of this thread inside the block stop once they took ``seconds`` in all."""
    _deadline.at, _deadline.hit = time.perf_counter() + seconds, False
    try:
        yield
    except Exception as error:
        if _deadline.hit:
            raise OverBudget(f"the read took more than {seconds * 1000:.1f} ms") from error
        raise
    finally:
        _deadline.at, _deadline.hit = None, False


def past_deadline() -> int:
    """SQLite's progress handler: non-zero stops the running statement."""
    at = _deadline.at
    if at is None or time.perf_counter() < at:
        return 0
    _deadline.hit = True
    return 1
