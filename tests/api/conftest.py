"""An HTTP client on a fresh ledger, on each store in turn, sending an admin's API key; that
ledger with the founding example recorded; and for the proof tests, a ledger of 1000 events
per store that a module only reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.demo.founding_example import load_founding_example
from application.settings import Settings
from domain.values import Actor
from tests.conftest import STORES, store_url
from tests.support.audited_ledger import EVENTS, OPERATOR, Logged, all_events, canonical, register
from tests.support.clock import FakeClock
from tests.support.keys import bearer, issue
from tests.support.rfc9162 import Reference, hash_leaf


@pytest.fixture
def services(database_url: str, clock: FakeClock) -> Iterator[Services]:
    built = bootstrap(Settings(database_url=database_url), clock=clock)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def admin_token(services: Services) -> str:
    return issue(services, "admin", "test admin")


@pytest.fixture
def client(services: Services, admin_token: str) -> Iterator[TestClient]:
    """A client that authenticates as an admin unless a test sends other headers."""
    with TestClient(create_app(services=services), headers=bearer(admin_token)) as test_client:
        yield test_client


@pytest.fixture
def founded(services: Services) -> Services:
    """The ledger with the founding example recorded, SOIN's designation of 2021-12-10 among it."""
    assert load_founding_example(services.ledger, Actor("k1", "operator")) is not None
    return services


@pytest.fixture(scope="module", params=STORES)
def logged(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Logged]:
    """One ledger per store for the whole module: the proofs only read it."""
    url = store_url(request.param, request, tmp_path_factory.mktemp("proofs"))
    services = bootstrap(Settings(database_url=url), clock=FakeClock())
    try:
        load_founding_example(services.ledger, OPERATOR)
        first = services.ledger.last_position()
        services.ledger.execute(register(EVENTS - first), OPERATOR)
        token = issue(services, "admin", "proof auditor")
        with TestClient(create_app(services=services), headers=bearer(token)) as client:
            events = all_events(client)
            leaves = [hash_leaf(canonical(event["entry"])) for event in events]
            yield Logged(services, client, events, leaves, Reference(leaves))
    finally:
        services.close()
