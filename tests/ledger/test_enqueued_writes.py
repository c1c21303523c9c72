"""Writes no thread waits for (``Ledger.enqueue``, the API's event loop) are grouped and
answered like any other, on every store.

Such a write is queued and the call returns; the thread that commits its group hands the
group's finished writes to their ``notify`` in one call. Writes of both kinds share groups
and hand the lead to each other, and one's refusal takes nothing from the others.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from api import awaited_writes
from application.commands import Command, RecordAction
from application.group_commit import Write
from application.ledger import Ledger
from application.receipts import WriteReceipt
from domain.errors import SubjectNotFound
from tests.ledger import test_group_commit
from tests.ledger.test_group_commit import (
    ACTOR,
    WAIT,
    Group,
    amend,
    assert_log_matches,
    designate,
    received,
    register_and_designate,
)
from tests.support.ledgers import log_dump

group = test_group_commit.group  # the fixture that holds a group's first write


class Notified:
    """A ``notify``: records each call's writes, and wakes whoever waits for ``count``."""

    def __init__(self) -> None:
        self.calls: list[list[Write[WriteReceipt]]] = []
        self.changed = threading.Condition()

    def __call__(self, writes: list[Write[WriteReceipt]]) -> None:
        with self.changed:
            self.calls.append(list(writes))
            self.changed.notify_all()

    def wait_for(self, count: int) -> list[Write[WriteReceipt]]:
        with self.changed:
            done = self.changed.wait_for(lambda: self.finished() >= count, WAIT)
        assert done, f"{self.finished()} of {count} writes finished"
        return [write for call in self.calls for write in call]

    def finished(self) -> int:
        return sum(len(call) for call in self.calls)


def enqueue(ledger: Ledger, notify: Notified, commands: list[Command | RecordAction]) -> None:
    for n, command in enumerate(commands):
        ledger.enqueue(command, ACTOR, notify, waiter=n)


def test_writes_enqueued_together_are_answered_in_one_call_each_with_its_own_result(
    ledger: Ledger, group: Callable[[], Group]
) -> None:
    shared = ledger.execute(register_and_designate("SHARED"), ACTOR).subject_ids[0]
    heard: list[WriteReceipt] = []
    ledger.listeners.append(heard.append)
    writes, notify = group(), Notified()
    enqueue(
        ledger,
        notify,
        [
            register_and_designate("ALPHA"),
            amend(shared, "SHARED ONE"),
            designate("00000000-0000-4000-8000-000000000000"),  # no such subject
            amend(shared, "SHARED TWO"),
        ],
    )
    writes.run()
    finished = notify.wait_for(4)
    assert writes.sizes == [1, 4]
    assert len(notify.calls) == 1  # the whole group in one call
    assert [write.waiter for write in finished] == [0, 1, 2, 3]
    assert isinstance(finished[2].error, SubjectNotFound) and finished[2].result is None
    stored = [finished[i].result for i in (0, 1, 3)]
    receipts = [receipt for receipt in stored if receipt is not None]
    assert len(receipts) == 3
    assert [receipts[i].events[0].version for i in (1, 2)] == [3, 4]
    assert_log_matches(ledger, [received(writes.outcomes[0]), *receipts])
    # The listeners heard of each stored write: the held one from its own thread, the
    # others from the thread that committed them.
    stored_positions = [r.position for r in [received(writes.outcomes[0]), *receipts]]
    assert sorted(r.position or 0 for r in heard) == sorted(p or 0 for p in stored_positions)


def test_waiting_threads_and_enqueued_writes_share_groups_and_hand_the_lead_on(
    ledger: Ledger,
) -> None:
    """Threads writing in a loop and a stream of enqueued writes, at once: each finishes
    once, with its own result, whoever led its group."""
    threads, per_thread, enqueued = 4, 8, 48
    start = threading.Barrier(threads + 1)
    receipts: list[WriteReceipt] = []
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        start.wait(WAIT)
        for i in range(per_thread):
            try:
                receipts.append(ledger.execute(register_and_designate(f"T{n}-{i}"), ACTOR))
            except BaseException as error:
                errors.append(error)

    running = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    notify = Notified()
    start.wait(WAIT)
    enqueue(ledger, notify, [register_and_designate(f"E{i}") for i in range(enqueued)])
    for thread in running:
        thread.join(WAIT)
        assert not thread.is_alive()
    finished = notify.wait_for(enqueued)
    assert not errors
    assert sorted(write.waiter for write in finished) == list(range(enqueued))
    assert all(write.error is None for write in finished)
    receipts += [write.result for write in finished if write.result is not None]
    assert len(receipts) == threads * per_thread + enqueued
    assert_log_matches(ledger, receipts)
    assert len(log_dump(ledger)) == 2 * len(receipts)  # a registration and a designation


def test_the_event_loop_awaits_its_writes_with_one_wake_up_per_group(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    settled: list[int] = []
    settle = awaited_writes._settle

    def counted(writes: list[Write[Any]]) -> None:
        settled.append(len(writes))
        settle(writes)

    monkeypatch.setattr(awaited_writes, "_settle", counted)
    writes = 40

    async def write_all() -> list[WriteReceipt | BaseException]:
        return await asyncio.wait_for(all_written(), WAIT)

    async def all_written() -> list[WriteReceipt | BaseException]:
        return await asyncio.gather(
            *(
                awaited_writes.execute(ledger, register_and_designate(f"L{i}"), ACTOR)
                for i in range(writes)
            ),
            awaited_writes.execute(
                ledger, designate("00000000-0000-4000-8000-00000000000a"), ACTOR
            ),
            return_exceptions=True,
        )

    answers = asyncio.run(write_all())
    assert isinstance(answers[-1], SubjectNotFound)
    receipts = [answer for answer in answers[:-1] if isinstance(answer, WriteReceipt)]
    assert len(receipts) == writes
    assert_log_matches(ledger, receipts)
    assert sum(settled) == writes + 1
    assert len(settled) < writes  # the loop was woken per group, not per write


def test_a_write_whose_request_went_away_is_still_recorded(ledger: Ledger) -> None:
    async def abandoned() -> None:
        write = asyncio.ensure_future(
            awaited_writes.execute(ledger, register_and_designate("GONE"), ACTOR)
        )
        await asyncio.sleep(0)  # queued
        write.cancel()
        with pytest.raises(asyncio.CancelledError):
            await write

    before = len(log_dump(ledger))
    asyncio.run(abandoned())
    recorded = threading.Event()
    for _ in range(int(WAIT / 0.01)):
        if len(log_dump(ledger)) == before + 2:
            recorded.set()
            break
        recorded.wait(0.01)
    assert recorded.is_set(), "the write was not recorded"


def test_a_notify_that_fails_keeps_no_other_caller_waiting(
    ledger: Ledger, group: Callable[[], Group]
) -> None:
    def broken(_writes: list[Write[WriteReceipt]]) -> None:
        raise RuntimeError("this caller went away badly")

    writes, notify = group(), Notified()
    ledger.enqueue(register_and_designate("FIRST"), ACTOR, broken)
    ledger.enqueue(register_and_designate("SECOND"), ACTOR, notify, waiter="second")
    writes.run()
    [told] = notify.wait_for(1)
    assert told.waiter == "second" and told.result is not None
    assert len(log_dump(ledger)) == 3 * 2  # the held write's two events, and both others'
