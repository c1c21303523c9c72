"""An HTTP client on a fresh ledger, on each store in turn, sending an admin's API key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.settings import Settings
from tests.support.clock import FakeClock
from tests.support.keys import bearer, issue


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
