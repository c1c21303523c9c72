"""The one call a request makes off the event loop, for all of its blocking work.

The ledger's storage is synchronous (SQLite, psycopg in blocking mode), so a request's
database work runs in a worker thread while the event loop serves other requests. Each
endpoint gathers all of that work into one ``blocking`` call: every hand-off to a thread and
back costs the event loop time, and holds up every other request while it does.

Starlette's ``run_in_threadpool`` hands work to anyio's worker threads, through a capacity
limiter, a cancel scope and a queue per thread; asyncio's own executor hand-off costs a few
times less of the event loop's time. So the ledger's requests use a pool of threads of their
own, as many as anyio allows by default, and carry the request's context variables (the log
fields bound to it) into the thread, as anyio does.

One read is not handed off where the store allows: a subject's current document, one indexed
lookup, on a SQLite file. There the read is answered from the process's own cache of the file
in less time than the hand-off to a thread and back costs the event loop, with every thread
then contending for the interpreter's lock; and in WAL mode a reader never waits for a writer,
so the loop is never held up by one (``short_read``). The first page of a list (the measures
as of a date, a name search) is read on the loop too where SQLite finishes it within a budget
of time, which SQLite itself enforces; past it, the read is made again in a worker thread
(``api.lanes.PageLane``, ``application.read_budget``).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

WORKERS = 40
"""As many threads as anyio lets ``run_in_threadpool`` use by default."""

P = ParamSpec("P")
T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_creating = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _creating:
            if _pool is None:
                _pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="ledger-blocking")
    return _pool


async def short_read(
    in_process: bool, call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """A read bounded by an indexed lookup: on the event loop where the store answers it in
    process (``Store.reads_in_process``), else in a worker thread (``blocking``). Never for
    a read that may wait (for the views to catch up) or scan."""
    if in_process:
        return call(*args, **kwargs)
    return await blocking(call, *args, **kwargs)


async def blocking(call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(*args, **kwargs)`` in a worker thread, in a copy of the caller's context."""
    context = contextvars.copy_context()
    work = functools.partial(context.run, call, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor(), work)
