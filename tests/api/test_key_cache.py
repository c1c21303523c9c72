"""Keys verified from memory, and revocations that reach every process.

Two processes are two ``Services`` on one database: a key one of them verified is checked
from its memory, and a revocation made through the other is refused as soon as the first
reads the keys' revision (what its background task does twice per ``key_cache_seconds``),
or as soon as its cache is older than that, whichever comes first.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import refresh_keys
from application.bootstrap import Services, bootstrap
from application.keys import CLI, ApiKey, KeyCache, KeyRefused, Keys, Role, VerifiedKey
from application.settings import Settings
from tests.support.keys import bearer, issue

FILE_STORES = pytest.mark.parametrize("store_kind", ["sqlite", "postgres"], indirect=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def other_process(database_url: str) -> Iterator[Services]:
    """Another process on the same database: its own connections, its own cache."""
    built = bootstrap(Settings(database_url=database_url))
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def cache_clock(services: Services) -> Clock:
    """The first process's cache, on a clock the test moves."""
    moved = Clock()
    services.keys.cache.clock = moved
    return moved


def key_id(token: str) -> str:
    return token.split("_")[1]


def counting(keys: Keys) -> list[str]:
    """Every call this process makes to the database to verify a key."""
    calls: list[str] = []
    verify: Callable[[str], Any] = keys.authenticate

    def authenticate(token: str) -> Any:
        calls.append(key_id(token))
        return verify(token)

    keys.authenticate = authenticate  # type: ignore[method-assign]
    return calls


@FILE_STORES
def test_a_verified_key_is_checked_from_memory(client: TestClient, services: Services) -> None:
    reader = issue(services, "reader", "screening")
    calls = counting(services.keys)
    assert client.get("/v1/measures", headers=bearer(reader)).status_code == 200
    for _ in range(5):
        assert client.get("/v1/measures", headers=bearer(reader)).status_code == 200
    # The background task keeps the cache confirmed; at most a rare request checks again.
    assert len(calls) < 6
    assert services.keys.cached(reader) is not None


@FILE_STORES
def test_a_revocation_by_another_process_is_refused_once_the_revision_is_read(
    client: TestClient, services: Services, other_process: Services
) -> None:
    reader = issue(services, "reader", "screening")
    assert client.get("/v1/measures", headers=bearer(reader)).status_code == 200
    other_process.keys.revoke(key_id(reader), revoked_by=CLI)
    services.keys.refresh()
    assert services.keys.cached(reader) is None
    refused = client.get("/v1/measures", headers=bearer(reader))
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


@FILE_STORES
def test_a_cache_not_confirmed_within_its_time_is_not_trusted(
    services: Services, other_process: Services, cache_clock: Clock
) -> None:
    reader = issue(services, "reader", "screening")
    services.keys.authenticate(reader)
    assert services.keys.cached(reader) is not None
    other_process.keys.revoke(key_id(reader), revoked_by=CLI)
    cache_clock.now += services.keys.cache.max_age + 0.01
    assert services.keys.cached(reader) is None
    with pytest.raises(KeyRefused, match="revoked"):
        services.keys.authenticate(reader)


@FILE_STORES
def test_a_key_issued_by_another_process_works_at_once(
    client: TestClient, services: Services, other_process: Services
) -> None:
    services.keys.refresh()
    operator = issue(other_process, "operator", "new importer")
    assert client.get("/v1/measures", headers=bearer(operator)).status_code == 200


@FILE_STORES
def test_a_wrong_secret_is_refused_from_memory_too(client: TestClient, services: Services) -> None:
    reader = issue(services, "reader", "screening")
    assert client.get("/v1/measures", headers=bearer(reader)).status_code == 200
    forged = reader[:-4] + ("aaaa" if not reader.endswith("aaaa") else "bbbb")
    # A cache that stays confirmed for the whole test, so that a slow machine cannot let it
    # lapse between the two calls (the service's own lapses after key_cache_seconds).
    keys = Keys(services.tables, services.ledger.clock, cache_seconds=60)
    keys.authenticate(reader)
    with pytest.raises(KeyRefused, match="secret is wrong"):
        keys.cached(forged)
    assert client.get("/v1/measures", headers=bearer(forged)).status_code == 401


def test_a_key_read_before_a_revocation_does_not_slip_back_into_the_cache() -> None:
    """A request that read the key's row under revision 3 finishes after another request
    saw revision 4 (the revocation) and dropped the cache: its key is not kept."""
    cache = KeyCache(max_age=0.5, clock=Clock())
    cache.observe(3, began=1000.0)
    cache.observe(4, began=1000.0)
    cache.add(3, verified())
    assert cache.get(KEY_ID, trusted=True) is None
    cache.add(4, verified())
    assert cache.get(KEY_ID, trusted=True) is not None
    cache.observe(3, began=1000.0)  # a reading older than the last: ignored
    assert cache.revision == 4
    assert cache.get(KEY_ID, trusted=True) is not None


KEY_ID = "0123456789abcdef"


def verified() -> VerifiedKey:
    return VerifiedKey("0" * 64, ApiKey(KEY_ID, "x", Role.READER, datetime.now(UTC), CLI))


def test_stopping_the_refresher_waits_for_the_read_in_flight() -> None:
    """The app closes its connections right after it stops the refresher: a read still
    running in its thread then would use a closed connection (SQLite crashes on it)."""
    started, release = threading.Event(), threading.Event()
    finished: list[bool] = []

    class SlowKeys:
        cache = KeyCache(max_age=0.2, clock=Clock())

        def refresh(self) -> None:
            started.set()
            release.wait(5)
            finished.append(True)

    async def stop_while_reading() -> None:
        task = asyncio.create_task(refresh_keys(SlowKeys()))  # type: ignore[arg-type]
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
        task.cancel()
        threading.Timer(0.2, release.set).start()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert finished == [True]

    asyncio.run(stop_while_reading())
