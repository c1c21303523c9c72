"""A webhook receiver on 127.0.0.1 for tests: it keeps every request, and answers as the test
decides (a status, after an optional wait)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from application.commands import Citation, Command, ImposeMeasure, RecordAction, RegisterSubject
from application.ledger import Ledger
from domain.values import (
    Actor,
    Authority,
    MeasureKind,
    Name,
    Profile,
    Reference,
    Source,
    SubjectKind,
)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


Answer = Callable[[str, dict[str, str], bytes], int]
"""The status to answer a request with, given its path, headers and body (it may wait
first)."""


class Receiver:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver.answer(self.path, headers, body)
                with receiver.lock:
                    receiver.received.append(Received(self.path, headers, body, status))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender gave up waiting: its timeout, not our error
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:  # noqa: ARG002
                return

        return Handler

    def taken(self, path: str | None = None) -> list[Received]:
        """The requests answered 2xx, in the order they arrived (to one path, if named)."""
        with self.lock:
            return [
                r
                for r in self.received
                if 200 <= r.status < 300 and (path is None or r.path == path)
            ]

    def all(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def all_to(self, path: str) -> list[Received]:
        return [r for r in self.all() if r.path == path]


@contextmanager
def receiving(answer: Answer = lambda _path, _headers, _body: 200) -> Iterator[Receiver]:
    receiver = Receiver(answer)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        thread.join(5)


def record_designations(ledger: Ledger, authority: Authority, count: int, tag: str = "") -> int:
    """Record ``count`` organisations, each designated by ``authority`` (two events each, in
    one write); the log's last position after."""
    cited = Citation(source=Source(authority, f"webhooks {tag}"))
    for n in range(count):
        key = f"s{n}"
        reference = f"{tag}{uuid.uuid4().hex[:12]}"
        items: list[Command] = [
            RegisterSubject(
                kind=SubjectKind.ORGANIZATION,
                profile=Profile((Name(f"COMPANY {tag} {n}"),)),
                references=(Reference(authority, reference),),
                citation=cited,
                key=key,
            ),
            ImposeMeasure(
                subject=key,
                kind=MeasureKind.DESIGNATION,
                authority=authority,
                programs=("TEST",),
                effective_from=datetime(2022, 1, 1, tzinfo=UTC),
                citation=cited,
            ),
        ]
        ledger.execute(RecordAction(tuple(items)), Actor("test", "webhooks test"))
    return ledger.last_position()
