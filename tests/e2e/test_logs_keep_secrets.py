"""No API key secret reaches a log line, wherever in a request a caller puts it.

A key belongs in the ``Authorization`` header, and anywhere else it is refused; but callers
paste keys into query strings, path segments and headers all the same, and a server that
writes the URL as sent would keep the secret in its logs. The real ``ledger serve`` is sent
a real key every wrong way there is, and its whole output is searched for the secret.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.access_log import safe_path
from api.logging import configure_logging, redact_secrets
from api.main import create_app
from application.bootstrap import bootstrap
from application.settings import Settings
from tests.api.payloads import subject
from tests.support.keys import bearer, issue
from tests.support.server import LEDGER, free_port

SUBJECT_ID = "7c8cd24f-bfad-5755-b9af-fd7b8ae4f292"


def new_key(database_url: str, role: str = "admin") -> str:
    services = bootstrap(Settings(database_url=database_url))
    try:
        return issue(services, role, "pasted everywhere")
    finally:
        services.close()


@contextmanager
def ledger_serve(database_url: str, output: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``ledger serve`` writing all it prints to ``output``; yields its base URL and process."""
    port = free_port()
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [LEDGER, "serve", "--database", database_url, "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LEDGER_LOG_LEVEL": "debug"},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while not _answers(base):
                assert process.poll() is None, output.read_text()
                assert time.monotonic() < deadline, output.read_text()
                time.sleep(0.1)
            yield base, process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=20)


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def misplaced_keys(token: str) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, extra headers): the key everywhere but where it belongs."""
    secret = token.split("_", 2)[2]
    encoded = "".join(f"%{byte:02X}" for byte in secret.encode())
    return [
        ("GET", f"/v1/measures?api_key={token}", {}),
        ("GET", f"/v1/measures?token={token}&program=DPRK3", {}),
        ("GET", f"/v1/measures?key={secret}", {}),
        ("GET", f"/v1/subjects?name={secret}", {}),
        ("GET", f"/v1/subjects?reference=US-OFAC:{secret}&as_of={secret}", {}),
        ("GET", f"/v1/subjects?{secret}=1&password={quote(token)}", {}),
        ("GET", f"/v1/subjects/{secret}", {}),
        ("GET", f"/v1/subjects/{SUBJECT_ID}/history?authorization=Bearer%20{token}", {}),
        ("GET", f"/{token}", {}),
        ("GET", f"/v1/keys/{token}", {}),
        ("POST", f"/v1/keys/{token}/revocation", {}),
        ("POST", f"/v1/measures/{encoded}/rescission", {}),
        ("POST", f"/v1/subjects?secret={secret}", {}),
        ("GET", "/v1/measures", {"Referer": f"http://127.0.0.1/?api_key={token}"}),
        ("GET", "/v1/measures", {"User-Agent": token, "X-Api-Key": token}),
    ]


def send_invalid_request(base: str, token: str) -> None:
    """A request line uvicorn cannot parse, holding the key: its error logger sees it."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(f"GET /?api_key={token} HTTP/1.1 junk\r\n\r\n".encode())
        raw.recv(1024)


def test_a_key_pasted_anywhere_in_a_request_never_reaches_the_server_output(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path}/ledger.db"
    token = new_key(database)
    secret = token.split("_", 2)[2]
    output = tmp_path / "serve.log"
    with ledger_serve(database, output) as (base, process):
        with httpx.Client(base_url=base, timeout=10) as client:
            refused = client.get(f"/v1/measures?api_key={token}")
            assert refused.status_code == 401, "a key outside its header is refused"
            statuses = [
                client.request(method, path, headers={**headers, **auth}, json={}).status_code
                for method, path, headers in misplaced_keys(token)
                for auth in ({}, bearer(token))
            ]
        send_invalid_request(base, token)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    printed = output.read_text()

    assert secret not in printed
    assert token not in printed
    assert "Traceback" not in printed, "Ctrl-C (SIGINT) ends the server cleanly, status 0"
    assert {401, 404, 422} <= set(statuses), "the requests reached the routes and refusals"
    lines = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    assert len(requests) >= 2 * len(misplaced_keys(token)), "every request has an access line"
    assert {"/v1/measures?*", "/v1/keys/*/revocation", "/v1/measures?*&program"} <= {
        line["path"] for line in requests
    }
    assert any(line.get("event") == "request denied" for line in lines)


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every line the app logs, as ``ledger serve`` configures logging."""
    configure_logging("debug", "json")
    root = logging.getLogger()
    kept_handlers, kept_level = root.handlers[:], root.level
    captured = io.StringIO()
    root.handlers[0].stream = captured  # type: ignore[attr-defined]
    try:
        yield captured
    finally:
        root.handlers, root.level = kept_handlers, kept_level


def test_in_process_no_log_line_holds_a_key_sent_anywhere_but_its_header(
    tmp_path: Path, captured_logs: io.StringIO
) -> None:
    database = f"sqlite:///{tmp_path}/ledger.db"
    services = bootstrap(Settings(database_url=database))
    admin, operator = issue(services, "admin"), issue(services, "operator")
    try:
        with TestClient(create_app(services=services)) as client:
            for token in (admin, operator):
                for method, path, headers in misplaced_keys(token):
                    for auth in ({}, bearer(token)):
                        client.request(method, path, headers={**headers, **auth}, json={})
                # A write refused for a body holding the key (stored, it would be a leak too).
                client.post(
                    "/v1/subjects",
                    json={**subject(name=token, reference=token[-43:]), "kind": token},
                    headers=bearer(operator),
                )
    finally:
        services.close()
    printed = captured_logs.getvalue()
    for token in (admin, operator):
        assert token.split("_", 2)[2] not in printed
    events = [json.loads(line)["event"] for line in printed.splitlines() if line.startswith("{")]
    assert "request" in events


@pytest.mark.parametrize(
    ("path", "query", "logged"),
    [
        ("/v1/subjects", b"name=x&as_of=2021-12-10&limit=3", "/v1/subjects?name&as_of&limit"),
        ("/v1/subjects", b"api_key=sl_x&token=y&password=z", "/v1/subjects?*&*&*"),
        (f"/v1/subjects/{SUBJECT_ID}/history", b"", f"/v1/subjects/{SUBJECT_ID}/history"),
        (f"/v1/measures/{SUBJECT_ID}.2/rescission", b"", f"/v1/measures/{SUBJECT_ID}.2/rescission"),
        (f"/v1/events/{SUBJECT_ID}@3/voiding", b"", f"/v1/events/{SUBJECT_ID}@3/voiding"),
        ("/v1/keys/0123456789abcdef/revocation", b"", "/v1/keys/0123456789abcdef/revocation"),
        ("/v1/keys/hunter2/revocation", b"", "/v1/keys/*/revocation"),
        ("/v1/subjects/Secret-Value", b"", "/v1/subjects/*"),
        ("/docs", b"", "/docs"),
    ],
)
def test_a_logged_path_keeps_the_apps_own_words_and_ids_and_hides_the_rest(
    path: str, query: bytes, logged: str
) -> None:
    app = create_app(Settings(database_url="memory://"))
    scope: dict[str, Any] = {"app": app, "path": path, "query_string": query}
    assert safe_path(scope) == logged


def test_a_line_is_scrubbed_of_anything_shaped_like_a_token_or_a_secret() -> None:
    secret = "Ab3_-" * 8 + "xyz"
    assert len(secret) == 43
    token = f"sl_0123456789abcdef_{secret}"
    line = f"GET /v1/measures?key={token} /x/{secret}/y {SUBJECT_ID} {'ab12' * 16}"
    scrubbed = redact_secrets(line)
    assert secret not in scrubbed
    assert "sl_0123456789abcdef_[redacted]" in scrubbed, "the public key id stays"
    assert SUBJECT_ID in scrubbed and "ab12" * 16 in scrubbed, "ids and digests stay"
