"""The subject lane (``api.subject_lane``): a plain read of a subject at now, answered
without the framework's routing, must be the answer the route gives; every request it
cannot answer in full goes on to the app, which answers it as before."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.limits import RateLimiter
from api.subject_lane import SubjectLane
from application.bootstrap import Services
from tests.api import payloads
from tests.support.keys import bearer, cached_key, issue


def recorded_subjects(client: TestClient) -> list[str]:
    """A subject with nothing but a profile, one designated, one whose designation is
    rescinded, and one whose designation is voided."""
    ids = []
    for n in range(4):
        answer = client.post("/v1/subjects", json=payloads.subject(f"NAME {n}", str(n)))
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["subject_ids"][0])
    for subject in ids[1:]:
        answer = client.post(f"/v1/subjects/{subject}/designations", json=payloads.designation())
        assert answer.status_code == 201, answer.text
    rescinded = client.post(
        f"/v1/measures/{ids[2]}.1/rescission",
        json={"effective_at": "2022-01-01", "source": payloads.OFAC},
    )
    voided = client.post(
        f"/v1/events/{ids[3]}@2/voiding",
        json={"source": payloads.OFAC, "reason": "recorded in error"},
    )
    assert rescinded.status_code == 201 and voided.status_code == 201, (rescinded, voided)
    return ids


def test_the_lane_answers_as_the_route_does(client: TestClient) -> None:
    for subject in recorded_subjects(client):
        lane = client.get(f"/v1/subjects/{subject}")
        # A query string takes the route; min_position=0 asks nothing more of it.
        route = client.get(f"/v1/subjects/{subject}", params={"min_position": 0})
        assert lane.status_code == route.status_code == 200
        assert lane.content == route.content
        assert lane.headers["etag"] == route.headers["etag"]
        assert lane.headers["content-type"] == route.headers["content-type"]
        assert lane.headers["x-request-id"] != route.headers["x-request-id"]


class Passed:
    """The app behind the lane: counts the requests passed on, and answers 204."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002
        self.calls += 1
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def through_lane(
    client: TestClient,
    path: str,
    headers: dict[str, str],
    lane_type: Callable[[ASGIApp], Any] = SubjectLane,
    **scope: Any,
) -> tuple[int, int]:
    """The status answered and the requests passed on, for one request sent to a lane."""
    passed = Passed()
    lane = lane_type(passed)
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        messages.append(message)

    request = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "app": client.app,
        **scope,
    }
    asyncio.run(lane(request, receive, send))
    return messages[0]["status"], passed.calls


def test_a_plain_read_is_answered_by_the_lane_alone(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject = recorded_subjects(client)[1]
    reader = bearer(cached_key(services, "reader", monkeypatch))
    client.get(f"/v1/subjects/{subject}", headers=reader)  # the key is now in the cache
    assert through_lane(client, f"/v1/subjects/{subject}", reader) == (200, 0)


PASSED_ON: list[tuple[dict[str, Any], str]] = [
    ({"query_string": b"as_of=2022-01-01"}, "a query string"),
    ({"method": "HEAD"}, "another method"),
    ({"path": "/v1/subjects/{subject}/"}, "a trailing slash"),
    ({"path": "/v1/subjects/{upper}"}, "a UUID not in its canonical form"),
    ({"path": "/v1/subjects/{subject}/history"}, "another route"),
    ({"headers": {"If-None-Match": '"2"'}}, "a conditional read"),
    ({"headers": {"Content-Length": "5"}}, "a body announced"),
    ({"headers": {"Authorization": "bearer {token}"}}, "the scheme in another case"),
    ({"headers": {"Authorization": "Bearer sl_0000000000000000_x"}}, "an unknown key"),
    ({"headers": {}}, "no key"),
    ({"path": "/v1/subjects/00000000-0000-4000-8000-000000000000"}, "no such subject"),
]


def test_every_other_request_goes_on_to_the_app(client: TestClient, services: Services) -> None:
    subject = recorded_subjects(client)[1]
    token = issue(services, "reader")
    client.get(f"/v1/subjects/{subject}", headers=bearer(token))
    for change, why in PASSED_ON:
        headers = bearer(token)
        scope = dict(change)
        if "headers" in scope:
            extra = {k: v.format(token=token) for k, v in scope.pop("headers").items()}
            headers = extra if "Authorization" in extra or not extra else {**headers, **extra}
        path = change.get("path", "/v1/subjects/{subject}").format(
            subject=subject, upper=subject.upper()
        )
        scope.pop("path", None)
        assert through_lane(client, path, headers, **scope) == (204, 1), why


def test_a_revoked_key_and_a_spent_rate_limit_are_refused_as_before(
    client: TestClient, services: Services
) -> None:
    subject = recorded_subjects(client)[1]
    token = issue(services, "reader")
    assert client.get(f"/v1/subjects/{subject}", headers=bearer(token)).status_code == 200
    key_id = token.split("_")[1]
    assert client.post(f"/v1/keys/{key_id}/revocation").status_code == 200
    refused = client.get(f"/v1/subjects/{subject}", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"

    limited = issue(services, "reader")
    client.app.state.rate_limiter = RateLimiter(per_minute=1, burst=2)  # type: ignore[attr-defined]
    answers = [client.get(f"/v1/subjects/{subject}", headers=bearer(limited)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["retry-after"] == "60"
    assert answers[2].headers["content-type"] == "application/problem+json"
