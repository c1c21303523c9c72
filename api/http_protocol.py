"""uvicorn's HTTP protocol, sending each answer's head and body in one write.

uvicorn writes an answer's status line and headers as soon as the app starts the answer, and
its body in a second write. With uvloop each write is a send to the socket made at once, with
the interpreter's lock held: a second system call and a second packet for every answer, which
the event loop, the commit thread and the views' projector all wait behind (some 60 µs an
answer on a 2-core machine, a seventh of the lock's time under eight writing clients).

``HeadWithBodyProtocol`` is uvicorn's own httptools protocol given a transport that holds back
a write that is an answer's head alone until the next write, which it goes out with, or until
the event loop has run what it was running, whichever comes first. An answer whose body comes
later (a stream of live changes) has its head sent when the loop turns, as before; nothing else
changes: every other call goes straight to uvicorn's transport.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

LONGEST_HEAD = 16 * 1024
"""A head longer than this is written at once: holding it back saves nothing worth the copy."""


class HeadHeldTransport:
    """A transport whose writes of an answer's head alone wait for the next write, or for the
    end of the event loop's present turn."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._head: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        head = self._head
        if head is not None:
            self._head = None
            self._transport.write(head + bytes(data))
        elif _is_head(data):
            self._head = bytes(data)
            self._loop.call_soon(self.send_head)
        else:
            self._transport.write(data)

    def send_head(self) -> None:
        """Write a head still held back (its body did not follow in the same turn)."""
        head, self._head = self._head, None
        if head is not None and not self._transport.is_closing():
            self._transport.write(head)

    def close(self) -> None:
        self.send_head()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _is_head(data: bytes | bytearray | memoryview) -> bool:
    """Whether ``data`` is a status line and headers with nothing after them."""
    return (
        len(data) <= LONGEST_HEAD
        and bytes(data[:5]) == b"HTTP/"
        and bytes(data[-4:]) == b"\r\n\r\n"
    )


class HeadWithBodyProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing each answer's head with its body."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        held = HeadHeldTransport(transport, self.loop)
        super().connection_made(cast(asyncio.Transport, held))


UVICORN_HTTP = f"{__name__}:{HeadWithBodyProtocol.__name__}"
"""The protocol as uvicorn's ``http`` option names it: an import path, which each worker
process of ``ledger serve --workers N`` imports for itself."""
