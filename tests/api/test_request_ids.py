"""Every answer carries a request id: in ``X-Request-ID``, in its problem document, and in
every log line written while serving it."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest
import structlog
from fastapi.testclient import TestClient

from api.logging import configure_logging
from api.request_id import HEADER


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """The test's log lines, as JSON, as the service writes them."""
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
        )
    )
    root.handlers = [handler]
    root.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        root.handlers, root.level = kept_handlers, kept_level


def lines(logs: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in logs.getvalue().splitlines() if line.startswith("{")]


@pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
def test_a_problem_carries_the_request_id_of_its_header_and_its_log_lines(
    client: TestClient, logs: io.StringIO
) -> None:
    answer = client.get(f"/v1/subjects/{uuid.uuid4()}")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    request_id = answer.headers[HEADER]
    assert answer.json()["request_id"] == request_id
    access = [line for line in lines(logs) if line.get("event") == "request"]
    assert [line.get("request_id") for line in access] == [request_id]


@pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
def test_a_well_formed_request_id_is_kept_and_any_other_replaced(client: TestClient) -> None:
    mine = "3f2b9c1e-0d4a-4c55-9a0e-6b1f2d3c4e5f"
    assert client.get("/health", headers={HEADER: mine}).headers[HEADER] == mine
    hostile = [b"", b"a" * 41, b"id with spaces", b"-dash", b"x;y", b"na\xefve"]
    for sent in hostile:
        given = client.get("/v1/nothing-here", headers=[(HEADER.encode(), sent)])
        made = given.headers[HEADER]
        assert made.encode() != sent
        assert len(made) == 32
        assert given.json()["request_id"] == made
    assert client.get("/health").headers[HEADER] != client.get("/health").headers[HEADER]


@pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
def test_refusals_at_the_door_carry_it_too(client: TestClient) -> None:
    """Problems answered by the middleware (401, 413, text no store can hold) and by the
    router (405) carry it as well as those of the routes."""
    answers = [
        client.get("/v1/measures", headers={"Authorization": "Bearer nonsense"}),
        client.post("/v1/subjects", content=b"{" + b" " * 2_000_000 + b"}"),
        client.get("/v1/subjects", params={"name": "a\x00b"}),
        client.delete("/v1/measures"),
    ]
    assert [a.status_code for a in answers] == [401, 413, 422, 405]
    for answer in answers:
        assert answer.json()["request_id"] == answer.headers[HEADER]
