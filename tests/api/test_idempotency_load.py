"""A thousand writes, each sent five times at once and three times more in sequence with one
Idempotency-Key, leave exactly a thousand recordings; every repeat gets the first answer."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from application.bootstrap import Services
from tests.api.payloads import OFAC
from tests.support.ledgers import log_dump

WRITES = 1000
AT_ONCE = 5
IN_SEQUENCE = 3
WRITES_IN_FLIGHT = 8
"""Writes under way at the same time, each with its five concurrent copies."""


def body(n: int) -> dict[str, Any]:
    return {
        "kind": "organization",
        "profile": {"names": [{"value": f"LOAD TEST {n}"}]},
        "effective_at": "2021-12-10",
        "source": OFAC,
    }


async def send_one_write(http: httpx.AsyncClient, n: int) -> list[str]:
    """Send write ``n`` eight times; answer what went wrong, if anything."""
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    problems = []
    at_once = await asyncio.gather(
        *(http.post("/v1/subjects", json=body(n), headers=headers) for _ in range(AT_ONCE))
    )
    fresh = [r for r in at_once if r.status_code == 201 and "idempotent-replayed" not in r.headers]
    if len(fresh) != 1:
        return [f"write {n}: {len(fresh)} first answers among {[r.status_code for r in at_once]}"]
    [first] = fresh
    for repeat in at_once:
        if repeat is first or repeat.status_code == 409:
            continue  # 409: it arrived while the first was still being answered
        if (repeat.status_code, repeat.content) != (201, first.content):
            problems.append(f"write {n}: a concurrent repeat answered {repeat.status_code}")
    for _ in range(IN_SEQUENCE):
        repeat = await http.post("/v1/subjects", json=body(n), headers=headers)
        if (repeat.status_code, repeat.content) != (201, first.content) or (
            repeat.headers.get("location") != first.headers["location"]
        ):
            problems.append(f"write {n}: a repeat in sequence answered {repeat.status_code}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"], indirect=True)
def test_a_thousand_writes_sent_eight_times_each_are_recorded_once(
    client: TestClient, services: Services
) -> None:
    async def all_writes() -> list[str]:
        transport = httpx.ASGITransport(app=client.app)
        limits = asyncio.Semaphore(WRITES_IN_FLIGHT)

        async def bounded(http: httpx.AsyncClient, n: int) -> list[str]:
            async with limits:
                return await send_one_write(http, n)

        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=client.headers
        ) as http:
            results = await asyncio.gather(*(bounded(http, n) for n in range(WRITES)))
        return [problem for problems in results for problem in problems]

    assert asyncio.run(all_writes()) == []
    recorded = [topic.rsplit(":", 1)[-1] for _, _, _, topic, _ in log_dump(services.ledger)]
    assert recorded == ["registered"] * WRITES
