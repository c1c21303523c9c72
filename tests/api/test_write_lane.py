"""The write lane (``api.write_lane``): a plain registration or measure, recorded without the
framework's routing, must be answered as the route answers it and record what the route
records; every request it cannot take in full goes on to the app with its body as sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from api.limits import RateLimiter
from api.write_lane import WriteLane
from application.bootstrap import Services
from tests.api import payloads
from tests.support.keys import bearer, cached_key, issue
from tests.support.ledgers import log_dump

ROUTE = {"If-Match": "*"}
"""Any version will do: the route's answer to the same write (the lane leaves If-Match to it)."""
MEASURES = {
    "designations": payloads.designation(),
    "visa-bans": {**payloads.designation(), "covers_family": True},
    "investment-restrictions": {**payloads.designation(), "programs": ["NS-CMIC"]},
}


def recorded(services: Services, start: int) -> list[tuple[str, int, str]]:
    """The events recorded from position ``start`` on: subject, version, type."""
    return [
        (subject, version, topic.rsplit(".", 1)[-1])
        for position, subject, version, topic, _ in log_dump(services.ledger)
        if position >= start
    ]


def shape(answer: Any) -> Any:
    """A receipt without its ids and positions."""
    document = answer.json()
    return {
        "status": answer.status_code,
        "content-type": answer.headers["content-type"],
        "location": "location" in answer.headers,
        "keys": sorted(document),
        "events": [(e["version"], e["type"]) for e in document.get("events", [])],
    }


def test_the_lane_records_and_answers_as_the_route_does(
    client: TestClient, services: Services
) -> None:
    answers = {}
    for way, headers in (("lane", {}), ("route", ROUTE)):
        start = services.ledger.last_position() + 1
        subject = client.post(
            "/v1/subjects", json=payloads.subject("NAME", f"R-{way}"), headers=headers
        )
        subject_id = subject.json()["subject_ids"][0]
        assert subject.headers["location"] == f"/v1/subjects/{subject_id}"
        measures = [
            client.post(f"/v1/subjects/{subject_id}/{path}", json=body, headers=headers)
            for path, body in MEASURES.items()
        ]
        events = [(version, kind) for _, version, kind in recorded(services, start)]
        answers[way] = ([shape(a) for a in (subject, *measures)], events)
    assert answers["lane"] == answers["route"]
    # The subject, its reference claimed, and its three measures.
    assert answers["lane"][0][0]["status"] == 201 and len(answers["lane"][1]) == 5


def counting(call: Callable[..., Any], calls: list[object]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return call(*args, **kwargs)

    return counted


def test_a_write_the_ledger_refuses_is_answered_as_the_route_answers_it(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject_id = client.post("/v1/subjects", json=payloads.subject()).json()["subject_ids"][0]
    assert client.post(f"/v1/subjects/{subject_id}/designations", json=payloads.designation())
    before = log_dump(services.ledger)
    tried: list[object] = []
    for way in ("execute", "enqueue"):  # a thread's write, or the event loop's
        monkeypatch.setattr(services.ledger, way, counting(getattr(services.ledger, way), tried))
    for path, body in (
        ("/v1/subjects", payloads.subject()),  # the reference is taken
        (f"/v1/subjects/{subject_id}/designations", payloads.designation()),  # overlaps
        ("/v1/subjects/00000000-0000-4000-8000-000000000000/visa-bans", MEASURES["visa-bans"]),
    ):
        tried.clear()
        lane = client.post(path, json=body)
        assert len(tried) == 1  # tried once, by the lane, and answered by it
        route = client.post(path, json=body, headers=ROUTE)
        assert lane.status_code == route.status_code and lane.status_code in (404, 409), lane.text
        assert lane.headers["content-type"] == route.headers["content-type"]
        assert {**lane.json(), "request_id": ""} == {**route.json(), "request_id": ""}
    # Bodies the route's model takes but the domain refuses as the command is made.
    for names in ([{"value": "   "}], [{"value": "A NAME", "type": "aka"}]):
        body = {**payloads.subject("X", "X-1"), "profile": {"names": names}}
        lane = client.post("/v1/subjects", json=body)
        route = client.post("/v1/subjects", json=body, headers=ROUTE)
        assert lane.status_code == route.status_code == 422, lane.text
        assert {**lane.json(), "request_id": ""} == {**route.json(), "request_id": ""}
    assert log_dump(services.ledger) == before


class Passed:
    """The app behind the lane: counts the requests passed on, keeps the body it reads."""

    def __init__(self) -> None:
        self.calls = 0
        self.body = b""

    async def __call__(self, _scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def through_lane(
    client: TestClient, path: str, headers: dict[str, str], chunks: list[bytes], **scope: Any
) -> tuple[int, int, bytes]:
    """The status answered, the requests passed on and the body the app read."""
    passed = Passed()
    sent = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]

    async def receive() -> Message:
        return sent.pop(0) if sent else {"type": "http.disconnect"}

    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    request = {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "app": client.app,
        **scope,
    }
    asyncio.run(WriteLane(passed)(request, receive, send))
    return messages[0]["status"], passed.calls, passed.body


def test_a_plain_write_is_recorded_by_the_lane_alone(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator = bearer(cached_key(services, "operator", monkeypatch))
    client.get("/v1/subjects", headers=operator)  # the key is now in the cache
    body = json.dumps(payloads.subject("LANE", "L-1")).encode()
    headers = {**operator, "Content-Type": "application/json", "Content-Length": str(len(body))}
    halves = [body[:10], body[10:]]
    assert through_lane(client, "/v1/subjects", headers, halves)[:2] == (201, 0)


def test_every_other_request_goes_on_to_the_app_with_its_body(
    client: TestClient, services: Services
) -> None:
    token = issue(services, "operator")
    client.get("/v1/subjects", headers=bearer(token))
    reader = issue(services, "reader")
    client.get("/v1/subjects", headers=bearer(reader))
    subject_id = client.post("/v1/subjects", json=payloads.subject()).json()["subject_ids"][0]
    good = json.dumps(payloads.subject("OTHER", "O-1")).encode()
    cases: list[tuple[str, bytes, dict[str, str], dict[str, Any], str]] = [
        ("/v1/subjects", good, {"Idempotency-Key": "k1"}, {}, "an Idempotency-Key"),
        ("/v1/subjects", good, {"If-Match": "*"}, {}, "If-Match"),
        ("/v1/subjects", good, {"Content-Type": "text/plain"}, {}, "another content type"),
        (
            "/v1/subjects",
            good,
            {"Content-Type": "application/json; charset=utf-8"},
            {},
            "a charset",
        ),
        ("/v1/subjects", good, {"Content-Length": ""}, {}, "no length"),
        ("/v1/subjects", good, {"Content-Length": "5"}, {}, "a body longer than declared"),
        ("/v1/subjects", good, {"Content-Length": str(len(good) + 9)}, {}, "a shorter body"),
        ("/v1/subjects", good, {"Transfer-Encoding": "chunked"}, {}, "a chunked body"),
        ("/v1/subjects", b"{not json", {}, {}, "no JSON"),
        ("/v1/subjects", b'{"kind": "person", "kind": "vessel"}', {}, {}, "a key named twice"),
        ("/v1/subjects", good.replace(b"OTHER", b"OTH\\u0000ER"), {}, {}, "refused text"),
        ("/v1/subjects", b'{"kind": "person"}', {}, {}, "a body the model refuses"),
        ("/v1/subjects", b"x" * 70_000, {}, {}, "a body above 64 kB"),
        ("/v1/subjects", good, {"Authorization": f"Bearer {reader}"}, {}, "a reader's key"),
        ("/v1/subjects", good, {"Authorization": "Bearer sl_0000000000000000_x"}, {}, "a stranger"),
        ("/v1/subjects", good, {}, {"query_string": b"x=1"}, "a query string"),
        ("/v1/subjects/", good, {}, {}, "a trailing slash"),
        (f"/v1/subjects/{subject_id.upper()}/designations", good, {}, {}, "an id in capitals"),
        (f"/v1/subjects/{subject_id}/amendments", good, {}, {}, "another write"),
    ]
    for path, body, extra, scope, why in cases:
        headers = {
            **bearer(token),
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            **extra,
        }
        headers = {name: value for name, value in headers.items() if value}
        chunks = [body[: len(body) // 2], body[len(body) // 2 :]]
        status, calls, read = through_lane(client, path, headers, chunks, **scope)
        assert (status, calls, read) == (204, 1, body), why


def test_a_revoked_key_and_a_spent_rate_limit_are_refused_as_before(
    client: TestClient, services: Services
) -> None:
    token = issue(services, "operator")
    first = client.post("/v1/subjects", json=payloads.subject("A", "A-1"), headers=bearer(token))
    assert first.status_code == 201
    key_id = token.split("_")[1]
    assert client.post(f"/v1/keys/{key_id}/revocation").status_code == 200
    before = log_dump(services.ledger)
    refused = client.post("/v1/subjects", json=payloads.subject("B", "B-1"), headers=bearer(token))
    assert refused.status_code == 401
    assert log_dump(services.ledger) == before

    limited = issue(services, "operator")
    client.app.state.rate_limiter = RateLimiter(per_minute=1, burst=2)  # type: ignore[attr-defined]
    answers = [
        client.post(
            "/v1/subjects", json=payloads.subject(f"C{n}", f"C-{n}"), headers=bearer(limited)
        )
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].headers["content-type"] == "application/problem+json"


def test_a_body_above_the_app_s_limit_goes_on_to_the_app_unread(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = issue(services, "operator")
    client.get("/v1/subjects", headers=bearer(token))
    body = json.dumps(payloads.subject("LIMIT", "LIM-1")).encode()
    monkeypatch.setattr(services.settings, "max_body_bytes", len(body) - 1)
    headers = {**bearer(token), "Content-Type": "application/json"}
    assert through_lane(
        client, "/v1/subjects", {**headers, "Content-Length": str(len(body))}, [body]
    )[:2] == (204, 1)
    refused = client.post("/v1/subjects", content=body, headers=headers)
    assert refused.status_code == 413
