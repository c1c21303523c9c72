"""No API key secret is ever written down: not in the database, not in the logs.

Keys are created every way there is, used every way there is (well, badly, after
revocation, with Idempotency-Keys whose answers are kept), and then every byte the ledger
wrote (the SQLite files, every row of every table in PostgreSQL, every log line) is searched
for every secret. Denials and failed writes must be in the logs, naming the key.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import structlog
from fastapi.testclient import TestClient

from api.logging import configure_logging
from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.settings import Settings
from application.storage import persistence_env
from tests.api.payloads import designation, subject
from tests.support.keys import bearer, issue


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Every log line of the test, as the service writes them in production (JSON)."""
    configure_logging("debug", "json")
    root = logging.getLogger()
    kept_handlers, kept_level = root.handlers[:], root.level
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=[structlog.processors.add_log_level],
        )
    )
    root.handlers = [handler]
    root.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        root.handlers, root.level = kept_handlers, kept_level


def exercise(client: TestClient, services: Services) -> list[str]:
    """Create and use keys in every way; the tokens created."""
    cli_made = issue(services, "operator", "cli made")
    api_made = client.post(
        "/v1/keys",
        json={"role": "operator", "name": "api made"},
        headers={"Idempotency-Key": "make-a-key"},
    )
    replayed = client.post(
        "/v1/keys",
        json={"role": "operator", "name": "api made"},
        headers={"Idempotency-Key": "make-a-key"},
    )
    assert replayed.json()["token"] is None
    tokens = [cli_made, api_made.json()["token"]]
    for token in tokens:
        headers = {**bearer(token), "Idempotency-Key": str(uuid.uuid4())}
        written = client.post("/v1/subjects", json=subject(reference=token[-6:]), headers=headers)
        assert written.status_code == 201
        client.post("/v1/subjects", json=subject(reference=token[-6:]), headers=headers)
        subject_id = written.json()["subject_ids"][0]
        client.post(f"/v1/subjects/{subject_id}/designations", json={}, headers=bearer(token))
        client.post("/v1/keys", json={"role": "admin", "name": "x"}, headers=bearer(token))
        client.get("/v1/measures", headers=bearer(token[:-3] + "abc"))
        client.get("/v1/measures", headers={"Authorization": f"Token {token}"})
        client.post(
            f"/v1/subjects/{subject_id}/designations",
            json=designation(),
            headers={**bearer(token), "If-Match": '"9"'},
        )
    client.post(f"/v1/keys/{api_made.json()['id']}/revocation")
    client.get("/v1/measures", headers=bearer(tokens[1]))
    return tokens


def written_bytes(database_url: str) -> bytes:
    """Everything the ledger stored, as bytes."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        assert files
        return b"".join(p.read_bytes() for p in files)
    env = persistence_env(database_url)
    dump = bytearray()
    with psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        dbname=env["POSTGRES_DBNAME"],
    ) as connection:
        schema = env["POSTGRES_SCHEMA"]
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
        assert len(tables) >= 3
        for (table,) in tables:
            for row in connection.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                dump.extend(repr(row).encode())
                dump.extend(b"".join(bytes(v) for v in row if isinstance(v, bytes | memoryview)))
    return bytes(dump)


@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"], indirect=True)
def test_no_secret_is_stored_or_logged_and_refusals_are_logged(
    database_url: str, logs: io.StringIO
) -> None:
    services = bootstrap(Settings(database_url=database_url))
    admin = issue(services, "admin", "root admin")
    try:
        with TestClient(create_app(services=services), headers=bearer(admin)) as client:
            tokens = [admin, *exercise(client, services)]
    finally:
        services.close()

    stored = written_bytes(database_url)
    text = logs.getvalue()
    for token in tokens:
        _, key_id, secret = token.split("_", 2)
        assert key_id.encode() in stored, "the search must see where keys are kept"
        assert secret.encode() not in stored
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    denied = [line for line in lines if line.get("event") == "request denied"]
    failed = [line for line in lines if line.get("event") == "write failed"]
    assert {(d["status"], d["key_name"]) for d in denied} >= {
        (403, "cli made"),
        (401, None),
    }
    assert any("revoked" in d["reason"] for d in denied)
    assert {(f["status"], f["key_name"], f["method"]) for f in failed} >= {
        (422, "cli made", "POST"),
        (412, "api made", "POST"),
    }
    assert all(line["path"] and line["reason"] for line in denied + failed)
