"""Writes the event loop awaits without handing each one to a worker thread.

A write handed to a worker thread (``api.blocking``) costs the event loop a future and a
hand-off each way, and under concurrent writes the worker threads, each waiting for its own
write's group, are woken one by one, each then contending for the interpreter's lock to give
back its answer. Here the loop queues the write with the ledger (``Ledger.enqueue``), the
thread that commits its group settles the futures of all the group's writes with one call
back to the loop, and no thread waits for any one write.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.commands import Command, RecordAction
    from application.group_commit import Write
    from application.ledger import Ledger
    from application.receipts import WriteReceipt
    from domain.values import Actor


async def execute(ledger: Ledger, command: Command | RecordAction, actor: Actor) -> WriteReceipt:
    """``ledger.execute(command, actor)``, awaited on the running loop."""
    future: asyncio.Future[WriteReceipt] = asyncio.get_running_loop().create_future()
    ledger.enqueue(command, actor, _finished, waiter=future)
    return await future


def _finished(writes: list[Write[WriteReceipt]]) -> None:
    """In the thread that committed the writes: their futures settled on their loops, with
    one call back to each loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Write[WriteReceipt]]] = {}
    for write in writes:
        by_loop.setdefault(write.waiter.get_loop(), []).append(write)
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, settled)
        except RuntimeError:  # the loop closed: nothing awaits these writes any more
            continue


def _settle(writes: list[Write[WriteReceipt]]) -> None:
    for write in writes:
        future: asyncio.Future[WriteReceipt] = write.waiter
        if future.done():  # its request was cancelled; the write stands
            continue
        if write.error is not None:
            future.set_exception(write.error)
        else:
            assert write.result is not None
            future.set_result(write.result)
