"""Idempotency-Key over HTTP: repeats answered as the first time, recording nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient

from application.bootstrap import Services
from tests.api.payloads import designation, subject
from tests.support.clock import FakeClock
from tests.support.keys import bearer, issue
from tests.support.ledgers import log_dump


def idem(key: str | None = None) -> dict[str, str]:
    return {"Idempotency-Key": key or str(uuid.uuid4())}


def same_answer(first: httpx.Response, again: httpx.Response) -> bool:
    return (
        again.status_code == first.status_code
        and again.content == first.content
        and again.headers.get("location") == first.headers.get("location")
        and again.headers["idempotent-replayed"] == "true"
    )


def test_a_repeat_gets_the_first_answer_and_records_nothing(
    client: TestClient, services: Services
) -> None:
    headers = idem()
    first = client.post("/v1/subjects", json=subject(), headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    recorded = log_dump(services.ledger)
    for _ in range(3):
        assert same_answer(first, client.post("/v1/subjects", json=subject(), headers=headers))
    assert log_dump(services.ledger) == recorded


def test_the_same_body_written_differently_is_the_same_request(client: TestClient) -> None:
    headers = {**idem(), "Content-Type": "application/json"}
    body = subject()
    first = client.post("/v1/subjects", json=body, headers=headers)
    reordered = dict(reversed(list(body.items())))
    again = client.post("/v1/subjects", content=json.dumps(reordered, indent=2), headers=headers)
    assert same_answer(first, again)


def test_the_key_on_another_request_is_refused(client: TestClient, services: Services) -> None:
    headers = idem()
    client.post("/v1/subjects", json=subject(), headers=headers)
    recorded = log_dump(services.ledger)
    other_body = client.post("/v1/subjects", json=subject(reference="1"), headers=headers)
    other_path = client.post(
        f"/v1/subjects/{uuid.uuid4()}/designations", json=designation(), headers=headers
    )
    for refused in (other_body, other_path):
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/idempotency-key-reused")
    assert log_dump(services.ledger) == recorded


def test_keys_are_scoped_to_the_api_key_that_sends_them(
    client: TestClient, services: Services
) -> None:
    headers = idem("shared-by-accident")
    mine = client.post("/v1/subjects", json=subject(reference="1"), headers=headers)
    theirs = client.post(
        "/v1/subjects",
        json=subject(reference="2"),
        headers={**headers, **bearer(issue(services, "operator"))},
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["subject_ids"] != theirs.json()["subject_ids"]


def test_a_refusal_is_kept_too_but_a_malformed_request_is_not(client: TestClient) -> None:
    missing = f"/v1/subjects/{uuid.uuid4()}/designations"
    headers = idem()
    first = client.post(missing, json=designation(), headers=headers)
    assert first.status_code == 404
    assert same_answer(first, client.post(missing, json=designation(), headers=headers))

    headers = idem()
    malformed = client.post("/v1/subjects", json={"kind": "person"}, headers=headers)
    assert malformed.status_code == 422
    corrected = client.post("/v1/subjects", json=subject(), headers=headers)
    assert corrected.status_code == 201 and "idempotent-replayed" not in corrected.headers


def test_a_key_is_forgotten_after_a_day(client: TestClient, clock: FakeClock) -> None:
    headers = idem()
    first = client.post("/v1/subjects", json=subject(), headers=headers)
    clock.advance(hours=23, minutes=59)
    assert same_answer(first, client.post("/v1/subjects", json=subject(), headers=headers))
    clock.advance(minutes=2)
    later = client.post("/v1/subjects", json=subject(), headers=headers)
    assert later.status_code == 409  # run again: the reference is taken by the first subject
    assert "idempotent-replayed" not in later.headers


def test_a_quoted_key_is_the_same_key_as_the_bare_one(client: TestClient) -> None:
    first = client.post("/v1/subjects", json=subject(), headers=idem('"abc-123"'))
    assert same_answer(first, client.post("/v1/subjects", json=subject(), headers=idem("abc-123")))


def test_a_malformed_key_is_refused(client: TestClient) -> None:
    for bad in ("", "x" * 300, "with space"):
        response = client.post("/v1/subjects", json=subject(), headers={"Idempotency-Key": bad})
        assert response.status_code == 422, bad


def test_a_repeat_while_the_first_is_running_gets_409(
    client: TestClient, services: Services
) -> None:
    """The first attempt is held inside the ledger while four repeats arrive."""
    headers = {**client.headers, **idem()}
    started, release = asyncio.Event(), asyncio.Event()
    original = services.ledger.execute
    loop: asyncio.AbstractEventLoop | None = None

    def slow_execute(*args: Any, **kwargs: Any) -> Any:
        assert loop is not None
        loop.call_soon_threadsafe(started.set)
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=10)
        return original(*args, **kwargs)

    async def scenario() -> list[httpx.Response]:
        nonlocal loop
        loop = asyncio.get_running_loop()
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            first = asyncio.create_task(http.post("/v1/subjects", json=subject(), headers=headers))
            await asyncio.wait_for(started.wait(), 10)
            repeats = await asyncio.gather(
                *(http.post("/v1/subjects", json=subject(), headers=headers) for _ in range(4))
            )
            release.set()
            answered = await first
            after = await http.post("/v1/subjects", json=subject(), headers=headers)
            return [answered, *repeats, after]

    services.ledger.execute = slow_execute  # type: ignore[method-assign]
    try:
        first, *repeats, after = asyncio.run(scenario())
    finally:
        services.ledger.execute = original  # type: ignore[method-assign]
    assert first.status_code == 201
    assert [r.status_code for r in repeats] == [409] * 4
    assert all(r.json()["type"].endswith("/idempotency-key-in-use") for r in repeats)
    assert same_answer(first, after)


def test_a_repeated_key_creation_does_not_show_the_token_again(
    client: TestClient, services: Services
) -> None:
    headers = idem()
    first = client.post("/v1/keys", json={"role": "reader", "name": "screening"}, headers=headers)
    assert first.status_code == 201
    token = first.json()["token"]
    again = client.post("/v1/keys", json={"role": "reader", "name": "screening"}, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == {**first.json(), "token": None}
    assert [k.name for k in services.keys.all()].count("screening") == 1
    assert client.get("/v1/measures", headers=bearer(token)).status_code == 200
