"""Each answer's head goes out with its body in one write, and a head whose body comes later
is not held back past the event loop's turn (``api.http_protocol``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import uvicorn

from api.http_protocol import LONGEST_HEAD, HeadHeldTransport, HeadWithBodyProtocol

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class RecordingTransport(asyncio.Transport):
    """A transport that keeps what is written to it, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8000) if name == "peername" else default


async def held(transport: RecordingTransport) -> HeadHeldTransport:
    return HeadHeldTransport(transport, asyncio.get_running_loop())


def test_a_head_and_its_body_in_the_same_turn_are_one_write() -> None:
    async def scenario() -> list[bytes]:
        transport = RecordingTransport()
        wrapped = await held(transport)
        wrapped.write(HEAD)
        wrapped.write(b"ok")
        await asyncio.sleep(0)
        return transport.writes

    assert asyncio.run(scenario()) == [HEAD + b"ok"]


def test_a_head_alone_is_written_when_the_loop_turns() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes]]:
        transport = RecordingTransport()
        wrapped = await held(transport)
        wrapped.write(HEAD)
        before = list(transport.writes)
        await asyncio.sleep(0)
        return before, transport.writes

    before, after = asyncio.run(scenario())
    assert before == []
    assert after == [HEAD]


def test_other_writes_go_straight_through() -> None:
    async def scenario() -> list[bytes]:
        transport = RecordingTransport()
        wrapped = await held(transport)
        wrapped.write(b"5\r\nhello\r\n")
        long_head = b"HTTP/1.1 200 OK\r\nx: " + b"a" * LONGEST_HEAD + b"\r\n\r\n"
        wrapped.write(long_head)
        return list(transport.writes)

    writes = asyncio.run(scenario())
    assert len(writes) == 2
    assert writes[0] == b"5\r\nhello\r\n"


def test_closing_sends_a_held_head_first_and_other_calls_reach_the_transport() -> None:
    async def scenario() -> RecordingTransport:
        transport = RecordingTransport()
        wrapped = await held(transport)
        assert wrapped.get_extra_info("peername") == ("127.0.0.1", 8000)
        wrapped.write(HEAD)
        wrapped.close()
        await asyncio.sleep(0)  # the turn's end finds nothing left to send
        return transport

    transport = asyncio.run(scenario())
    assert transport.writes == [HEAD]
    assert transport.closed


Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[int]:
    """``app`` served by uvicorn with the ledger's protocol on a free local port."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, http=HeadWithBodyProtocol, lifespan="off", log_config=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@pytest.mark.parametrize("body", [b"", b"{}", b"x" * 100_000])
def test_answers_arrive_whole_over_a_real_socket(body: bytes) -> None:
    async def app(_scope: dict[str, Any], _receive: Receive, send: Send) -> None:
        length = str(len(body)).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", length)]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    async def scenario() -> bytes:
        async with serving(app) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            answer = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            return answer

    answer = asyncio.run(scenario())
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b"\r\n\r\n" + body)


def test_a_streamed_answer_sends_its_head_before_its_body_exists() -> None:
    """The app writes its body only once the client has read the head: a head held until
    the body would leave both waiting."""
    head_read = asyncio.Event()

    async def app(_scope: dict[str, Any], _receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})  # fmt: skip
        await asyncio.wait_for(head_read.wait(), 5)
        await send({"type": "http.response.body", "body": b"data: 1\n\n"})

    async def scenario() -> bytes:
        async with serving(app) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            head_read.set()
            rest = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            return head + rest

    answer = asyncio.run(scenario())
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"data: 1\n\n" in answer
