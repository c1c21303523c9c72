"""Group commit: writes that arrive together are checked one by one and stored in one
transaction.

Every durable commit costs a flush to disk (SQLite's ``synchronous=FULL``) or a round trip to
a server that flushes (PostgreSQL), whatever the number of events it holds; concurrent
writers that each commit alone spend most of their time waiting for those flushes. Here
writers queue instead. The first writer to find no group running becomes the leader: it takes
every write queued so far (at most ``MAX_GROUP``), and the ledger checks each of them on the
state the writes before it in the group left (``Overlay``), then stores all that passed in
one transaction. Writers that arrive meanwhile queue for the next group, whose leader is the
first of them. A write is answered only once its transaction has committed; a write refused
by its own rules gets its own error and takes nothing from the others.

A caller that cannot wait in a thread (the API's event loop) queues its write with a
``notify`` instead (``WriteQueue.enqueue``): no thread waits for it, a thread of the queue's
own leads its group when no writer is leading, and the writes of a group that share a
``notify`` are handed to it in one call once they finished. The event loop then pays for one
wake-up per group rather than a thread hand-off per write.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from copy import deepcopy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import BaseAggregate

if TYPE_CHECKING:
    from application.commands import Command, RecordAction
    from application.handlers import Ahead
    from application.idempotency import Claim
    from domain.values import Actor

log = structlog.get_logger("writes")

MAX_GROUP = 64
"""The most writes one transaction stores: enough to take a full queue of concurrent
writers, few enough that the first of them does not wait long for the last to be checked."""
GATHER_SECONDS = 0.002
"""The longest a leader waits for the writers of the group before to write again."""

NOT_GATHERING = sys.maxsize

Result = TypeVar("Result")
Notify = Callable[[list["Write[Result]"]], None]


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(eq=False)
class Write(Generic[Result]):
    """One caller's write, waiting for its group's transaction."""

    command: Command | RecordAction
    actor: Actor
    claim: Claim | None
    attempts: int = 0
    """How many times the write met another writer on the same stream and was checked again."""
    read_fresh: bool = False
    """Whether everything the write checks is to be read from the store, nothing assumed:
    its group met another writer, and this write may be the one that did."""
    result: Result | None = None
    error: BaseException | None = None
    finished: bool = False
    wake: threading.Lock = field(default_factory=_held_lock)
    """Released once to wake the write's caller: to lead, or because the write finished.
    A bare lock rather than a ``threading.Event``: its wait and release are single calls
    into C, and every write of a group pays for one of each."""
    notify: Notify[Result] | None = None
    """For a write no thread waits for (``WriteQueue.enqueue``): called, from the thread
    that committed the group, with the group's finished writes that share it. It must not
    raise, nor wait: the next group waits for it."""
    waiter: Any = None
    """What the caller keeps with a write it does not wait for in a thread (e.g. the future
    it awaits), for its ``notify``."""

    def succeed(self, result: Result) -> None:
        self.result, self.finished = result, True

    def fail(self, error: BaseException) -> None:
        self.error, self.finished = error, True


class WriteQueue(Generic[Result]):
    """The leader/follower queue: one group is checked and stored at a time, by one of the
    writers waiting for it, while the next group gathers."""

    def __init__(
        self, commit_group: Callable[[list[Write[Result]]], None], max_group: int = MAX_GROUP
    ) -> None:
        self.commit_group = commit_group
        """Finishes every write it is given: with a result or an error."""
        self.max_group = max_group
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._queue: list[Write[Result]] = []
        self._leading = False
        self._last_size = 1
        self._wanted = NOT_GATHERING
        """How many queued writes the gathering leader waits for (``_gather``): the writer
        that makes the queue this long wakes it."""
        self._leaders: ThreadPoolExecutor | None = None
        """The thread that leads for writes no thread waits for (``enqueue``)."""

    def submit(self, write: Write[Result]) -> Result:
        """Queue the write and return its result once its group committed, or raise its
        error."""
        leads = self._queued(write)
        if not leads:
            write.wake.acquire()  # released once: to lead, or finished
            leads = not write.finished
        if leads:
            self._lead()
        if write.error is not None:
            raise write.error
        assert write.result is not None
        return write.result

    def enqueue(self, write: Write[Result]) -> None:
        """Queue a write and return at once: its ``notify`` tells when it finished."""
        assert write.notify is not None, "a write no thread waits for needs a notify"
        if self._queued(write):
            self._lead_elsewhere()

    def _queued(self, write: Write[Result]) -> bool:
        """Queue the write; whether its caller is to lead (no group is being led)."""
        with self._lock:
            self._queue.append(write)
            leads = not self._leading
            if leads:
                self._leading = True
            elif len(self._queue) >= self._wanted:
                self._arrived.notify()
        return leads

    def close(self) -> None:
        """Wait for the queue's own leader, if one is leading, and let its thread go."""
        if self._leaders is not None:
            self._leaders.shutdown(wait=True)

    def _lead_elsewhere(self) -> None:
        """Lead in the queue's own thread: the first write queued has no thread of its own."""
        with self._lock:
            if self._leaders is None:
                self._leaders = ThreadPoolExecutor(1, thread_name_prefix="ledger-commits")
            leaders = self._leaders
        leaders.submit(self._lead)

    def _lead(self) -> None:
        """Commit one group, then hand the lead to the first writer still queued."""
        with self._lock:
            self._gather()
            group = self._queue[: self.max_group]
            del self._queue[: self.max_group]
            self._last_size = len(group)
        try:
            self.commit_group(group)
        except BaseException as error:  # each waiting writer gets it
            for write in group:
                if not write.finished:
                    write.fail(error)
        finally:
            for write in group:
                if not write.finished:  # pragma: no cover - commit_group finishes each
                    write.fail(RuntimeError("the write's group ended without an answer"))
            with self._lock:
                head = self._queue[0] if self._queue else None
                if head is None:
                    self._leading = False
                elif head.notify is None:
                    head.wake.release()
            if head is not None and head.notify is not None:
                self._lead_elsewhere()
            _tell(group)

    def _gather(self) -> None:
        """Wait a moment for as many writers as the last group had. Its writers were all
        answered at once and most are about to write again; the first of them back would
        otherwise commit alone while the others queue behind it."""
        self._wanted = min(self._last_size, self.max_group)
        deadline = time.monotonic() + GATHER_SECONDS
        try:
            while len(self._queue) < self._wanted:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._arrived.wait(left)
        finally:
            self._wanted = NOT_GATHERING


def _tell(group: list[Write[Result]]) -> None:
    """Wake each finished write's caller: a thread, or its ``notify`` once for all of the
    group's writes that share it."""
    notified: dict[Notify[Result], list[Write[Result]]] = {}
    for write in group:
        if write.notify is None:
            write.wake.release()
        else:
            notified.setdefault(write.notify, []).append(write)
    for notify, writes in notified.items():
        try:
            notify(writes)
        except Exception:  # the others must still be told: their callers wait for it
            log.exception("a notify failed; its writes' callers were not told", writes=len(writes))


class Overlay(Repository[UUID]):
    """The aggregates of one group as the writes checked so far left them.

    A write reads a copy (``get``), so that a write refused half way through leaves nothing
    behind; once it passes, its aggregates become what the next write reads (``keep``).
    Anything the group has not touched is taken from what was read ahead for the whole group
    in one query (``ahead``: None where known absent), each at most once, or else read from
    the store.
    """

    def __init__(self, store: Repository[UUID], ahead: Ahead | None = None) -> None:
        super().__init__(store.event_store, snapshot_store=store.snapshot_store)
        self.store = store
        self.latest: dict[UUID, BaseAggregate[UUID]] = {}
        """Aggregates as the group's writes left them; never changed once here, only
        replaced."""
        self.ahead: Ahead = dict(ahead or {})

    def get(self, aggregate_id: UUID, *, version: int | None = None, **kwargs: Any) -> Any:
        if version is None:
            kept = self.latest.get(aggregate_id)
            if kept is not None:
                return deepcopy(kept)  # Nothing pending: each write's events were taken from it.
            if aggregate_id in self.ahead:
                # Taken once: a write refused after changing it leaves the next one to read it
                # afresh.
                found = self.ahead.pop(aggregate_id)
                if found is None:
                    raise AggregateNotFoundError(aggregate_id)
                return found
        return self.store.get(aggregate_id, version=version, **kwargs)

    def created_twice(self, aggregates: Sequence[BaseAggregate[UUID]]) -> bool:
        """Whether a write creates an aggregate an earlier write of the group created or
        read: the two would meet on its first version."""
        return any(
            aggregate.id in self.latest and aggregate.version == len(aggregate.pending_events)
            for aggregate in aggregates
        )

    def keep(self, aggregates: Sequence[BaseAggregate[UUID]]) -> None:
        """What the next writes of the group read: a write's aggregates once its events were
        taken from them."""
        for aggregate in aggregates:
            self.latest[aggregate.id] = aggregate
