"""The production shape, for real: ``ledger serve --workers 2`` and a ``ledger project``
worker on a PostgreSQL database of the test's own.

- a key revoked through one server process (an HTTP call lands on one of them), or by the
  command line, is refused by every process within a second;
- ``/ready`` reports the views' lag while the worker is stopped, and recovers once it runs;
- ``/metrics`` parses as Prometheus text and holds the operator's families, counted across
  both processes;
- a problem document carries the request id of its ``X-Request-ID`` header, and so does the
  JSON log line of that request;
- SIGTERM while a slow request is in flight still answers it, and the server exits with 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.payloads import subject
from tests.support.keys import bearer
from tests.support.private_postgres import empty_database
from tests.support.secrets import remember
from tests.support.server import LEDGER, free_port, ledger_command
from tests.support.stores import ADMIN_URL

pytestmark = pytest.mark.slow
REVOCATION_REACHES_EVERY_PROCESS = 1.0
"""Seconds: the bound the ledger promises (LEDGER_KEY_CACHE_SECONDS is half of it)."""
READ_WAIT = 3.0


@dataclass
class Deployment:
    database_url: str
    base: str
    server: subprocess.Popen[bytes]
    log: Path
    admin: str
    env: dict[str, str]
    worker: subprocess.Popen[bytes] | None = None
    pids: set[int] = field(default_factory=set)

    def lines(self) -> list[dict[str, object]]:
        text = self.log.read_text(errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def pid_of(self, request_id: str) -> int:
        """The server process that answered a request, from its access line."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for line in self.lines():
                if line.get("event") == "request" and line.get("request_id") == request_id:
                    pid = line["pid"]
                    assert isinstance(pid, int)
                    return pid
            time.sleep(0.05)
        raise AssertionError(f"no access line for request {request_id}")

    def start_worker(self) -> None:
        """Start a projection worker, and wait until it projects."""
        output = self.log.with_name(f"worker-{uuid.uuid4().hex[:8]}.log")
        with output.open("wb") as stream:
            self.worker = subprocess.Popen(
                [LEDGER, "project", "--database", self.database_url],
                stdout=stream,
                stderr=stream,
                env=self.env,
            )
        wait_until(lambda: "Projecting" in output.read_text(), 60, "the worker to start")

    def stop_worker(self) -> None:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGTERM)
        assert self.worker.wait(timeout=30) == 0
        self.worker = None


def call(
    base: str, method: str, path: str, token: str | None = None, json: object = None
) -> httpx.Response:
    """One request on a connection of its own, so that any server process may take it."""
    headers = {**(bearer(token) if token else {}), "X-Request-ID": uuid.uuid4().hex}
    return httpx.request(method, f"{base}{path}", headers=headers, json=json, timeout=30)


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    with empty_database(ADMIN_URL) as database_url:
        env = {
            **os.environ,
            "LEDGER_DATABASE_URL": database_url,
            "LEDGER_PROJECTIONS": "external",
            "LEDGER_LOG_FORMAT": "json",
            "LEDGER_READY_MAX_LAG_EVENTS": "0",
            "LEDGER_READ_WAIT_SECONDS": str(READ_WAIT),
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        created = ledger_command("keys", "create", "--role", "admin", "--name", "lead", env=env)
        assert created.returncode == 0, created.stderr
        admin = remember(created.stdout.strip().splitlines()[-1])
        port = free_port()
        log = tmp_path / "server.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                [LEDGER, "serve", "--workers", "2", "--port", str(port)],
                stdout=output,
                stderr=output,
                env=env,
            )
        running = Deployment(database_url, f"http://127.0.0.1:{port}", server, log, admin, env)
        try:
            started = _started(running)
            assert started, f"ledger serve did not start:\n{log.read_text(errors='replace')}"
            running.start_worker()
            yield running
        finally:
            if running.worker is not None:
                running.worker.kill()
                running.worker.wait(timeout=10)
            if server.poll() is None:
                server.terminate()  # a stopped server removes its metrics directory
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=10)


def _started(deployment: Deployment) -> bool:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and deployment.server.poll() is None:
        if _answers(deployment.base):
            return True
        time.sleep(0.1)
    return False


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def answering_processes(
    deployment: Deployment, token: str, status: int, *, at_least: int = 2
) -> set[int]:
    """Call until ``at_least`` server processes answered, each with ``status``."""
    seen: set[int] = set()
    for _ in range(300):
        answer = call(deployment.base, "GET", "/v1/measures", token)
        assert answer.status_code == status, answer.text
        seen.add(deployment.pid_of(answer.headers["X-Request-ID"]))
        if len(seen) >= at_least:
            return seen
    raise AssertionError(f"only processes {seen} answered")


def test_revocations_reach_every_process_within_a_second(deployment: Deployment) -> None:
    base, admin = deployment.base, deployment.admin
    tokens = []
    for name in ("screening", "nightly report"):
        created = call(base, "POST", "/v1/keys", admin, json={"role": "reader", "name": name})
        assert created.status_code == 201, created.text
        tokens.append((created.json()["id"], remember(created.json()["token"])))
    for _, token in tokens:
        # Both processes verify each key, and keep it in their cache.
        assert len(answering_processes(deployment, token, 200)) == 2

    (by_http, http_token), (by_cli, cli_token) = tokens
    revoked = call(base, "POST", f"/v1/keys/{by_http}/revocation", admin)
    assert revoked.status_code == 200, revoked.text
    time.sleep(REVOCATION_REACHES_EVERY_PROCESS)
    assert len(answering_processes(deployment, http_token, 401)) == 2

    done = ledger_command("keys", "revoke", by_cli, env=deployment.env)
    assert done.returncode == 0, done.stderr
    time.sleep(REVOCATION_REACHES_EVERY_PROCESS)
    assert len(answering_processes(deployment, cli_token, 401)) == 2


def test_ready_metrics_request_ids_and_a_graceful_stop(deployment: Deployment) -> None:
    base, admin = deployment.base, deployment.admin

    # A problem document and the log line of its request carry the same request id.
    missing = call(base, "GET", f"/v1/subjects/{uuid.uuid4()}", admin)
    assert missing.status_code == 404
    request_id = missing.headers["X-Request-ID"]
    assert missing.json()["request_id"] == request_id
    deployment.pid_of(request_id)

    # The views lag while the worker is stopped, and catch up once it runs again.
    wait_until(lambda: call(base, "GET", "/ready").status_code == 200, 30, "ready")
    deployment.stop_worker()
    written = call(base, "POST", "/v1/subjects", admin, json=subject())
    assert written.status_code == 201, written.text
    lagging = call(base, "GET", "/ready")
    assert lagging.status_code == 503
    assert lagging.headers["content-type"] == "application/problem+json"
    assert lagging.json()["views_lag"] >= 1
    assert lagging.json()["request_id"] == lagging.headers["X-Request-ID"]
    deployment.start_worker()
    wait_until(lambda: call(base, "GET", "/ready").status_code == 200, 30, "the views")
    assert call(base, "GET", "/ready").json()["views_lag"] == 0

    # Metrics, summed over both processes.
    for _ in range(20):
        call(base, "GET", "/v1/measures", admin)
    scraped = call(base, "GET", "/metrics")
    assert scraped.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(scraped.text)}
    assert families.keys() >= {
        "ledger_http_request_duration_seconds",
        "ledger_http_requests",
        "ledger_refusals",
        "ledger_writes_recorded",
        "ledger_projection_lag_events",
        "ledger_imports",
        "ledger_import_events",
    }
    measures = sum(
        s.value
        for s in families["ledger_http_requests"].samples
        if s.labels.get("route") == "/v1/measures" and s.labels.get("status") == "200"
    )
    assert measures >= 20
    writes = families["ledger_writes_recorded"].samples
    assert sum(s.value for s in writes if s.name == "ledger_writes_recorded_total") >= 1

    # SIGTERM while a slow read is in flight: the read is answered, the server exits 0. The
    # read is slow because the views are behind (worker stopped) and it waits for them.
    deployment.stop_worker()
    assert call(base, "POST", "/v1/subjects", admin, json=subject(reference="2")).status_code == 201
    answers: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: answers.append(call(base, "GET", "/v1/measures", admin)))
    slow.start()
    time.sleep(READ_WAIT / 3)
    deployment.server.send_signal(signal.SIGTERM)
    slow.join(timeout=30)
    assert [a.status_code for a in answers] == [200]
    assert deployment.server.wait(timeout=60) == 0
