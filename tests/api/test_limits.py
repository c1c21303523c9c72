"""Limits every caller meets: body size (413), page size (422), rate per key (429)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.limits import RateLimiter
from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.settings import Settings
from tests.api.payloads import subject
from tests.support.keys import bearer, issue

PROBLEM = "application/problem+json"


@pytest.fixture
def strict() -> Iterator[Services]:
    settings = Settings(
        database_url="memory://",
        max_body_bytes=2048,
        rate_limit_per_minute=60,
        rate_limit_burst=3,
        page_size_default=10,
        page_size_max=50,
    )
    built = bootstrap(settings)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def strict_client(strict: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=strict), headers=bearer(issue(strict, "admin"))) as c:
        yield c


def test_a_body_above_the_limit_is_refused_before_it_is_read(strict_client: TestClient) -> None:
    huge = {**subject(), "reason": "x" * 4000}
    response = strict_client.post("/v1/subjects", json=huge)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert "2048 bytes" in response.json()["detail"]


def test_a_chunked_body_is_cut_off_at_the_limit(strict_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"kind": "person", "reason": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    response = strict_client.post(
        "/v1/subjects", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_a_page_above_the_maximum_is_refused(strict_client: TestClient) -> None:
    assert strict_client.get("/v1/measures", params={"limit": 50}).status_code == 200
    refused = strict_client.get("/v1/measures", params={"limit": 51})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM
    schema = strict_client.get("/openapi.json").json()
    [limit] = [
        p for p in schema["paths"]["/v1/measures"]["get"]["parameters"] if p["name"] == "limit"
    ]
    assert limit["schema"]["maximum"] == 50


def test_a_key_past_its_rate_waits_as_retry_after_says(
    strict: Services, strict_client: TestClient
) -> None:
    answers = [strict_client.get("/v1/measures").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = strict_client.get("/v1/measures")
    assert refused.headers["content-type"] == PROBLEM
    assert int(refused.headers["retry-after"]) >= 1
    other_key = bearer(issue(strict, "reader"))
    assert strict_client.get("/v1/measures", headers=other_key).status_code == 200


def test_the_bucket_refills_at_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    limiter.take("k")
    limiter.take("k")
    with pytest.raises(Exception, match="retry in 1 s"):
        limiter.take("k")
    now[0] += 1.0
    limiter.take("k")
    with pytest.raises(Exception, match="too many"):
        limiter.take("k")
