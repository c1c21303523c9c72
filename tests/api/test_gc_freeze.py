"""A server that started its own services keeps what it started with out of the garbage
collector's full collections while it serves (``api.main``): a full collection walked all
of it with every request in flight waiting. An app given its services (tests, embedders)
leaves the collector as it is, and every app gives the objects back when it stops."""

from __future__ import annotations

import gc

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services
from application.settings import Settings


@pytest.fixture(autouse=True)
def nothing_frozen() -> None:
    """The collector as a server process starts with it: the test session freezes what it
    keeps (``tests/conftest.py``), and frozen objects that die leave the count."""
    gc.unfreeze()


def test_a_started_server_freezes_what_it_holds_until_it_stops() -> None:
    before = gc.get_freeze_count()
    with TestClient(create_app(Settings(database_url="memory://"))) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() > before + 10_000  # the modules, the app, its services
    assert gc.get_freeze_count() == 0


def test_an_app_given_its_services_leaves_the_collector_alone(services: Services) -> None:
    before = gc.get_freeze_count()
    with TestClient(create_app(services=services)) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() == before
