"""An HTTP client on a fresh ledger, on each store in turn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.settings import Settings
from tests.support.clock import FakeClock


@pytest.fixture
def services(database_url: str, clock: FakeClock) -> Iterator[Services]:
    built = bootstrap(Settings(database_url=database_url), clock=clock)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services)) as test_client:
        yield test_client
