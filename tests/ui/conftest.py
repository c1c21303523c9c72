"""Fixtures of the web pages' tests: a ledger with the founding example, a browser-like
client (cookies kept, redirects followed) and signing in as a key of any role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.demo.founding_example import load_founding_example
from application.event_log import read_log
from application.settings import Settings
from domain.values import Actor
from tests.support.clock import FakeClock
from tests.support.keys import issue

SOIN = "7c8cd24f-bfad-5755-b9af-fd7b8ae4f292"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def load_example(services: Services) -> None:
    load_founding_example(services.ledger, Actor(id="cli", name="cli"))


@pytest.fixture
def ui_services(clock: FakeClock) -> Iterator[Services]:
    """An in-memory ledger with the founding example."""
    built = bootstrap(Settings(database_url="memory://"), clock=clock)
    load_example(built)
    try:
        yield built
    finally:
        built.close()


Browser = Callable[..., TestClient]


@pytest.fixture
def browser(ui_services: Services) -> Iterator[Browser]:
    """Opens clients on the app, like browsers: each keeps its own cookies. A client made
    with ``https=True`` talks to the app as if over TLS."""
    app = create_app(services=ui_services)
    opened: list[TestClient] = []

    def open_browser(https: bool = False) -> TestClient:
        client = TestClient(app, base_url="https://testserver" if https else "http://testserver")
        client.__enter__()
        opened.append(client)
        return client

    yield open_browser
    for client in opened:
        client.__exit__(None, None, None)


def sign_in(client: TestClient, services: Services, role: str) -> str:
    """Sign in with a new key of ``role``; the key's token."""
    token = issue(services, role, f"ui {role}")
    answer = client.post("/ui/sign-in", data={"key": token})
    assert answer.status_code == 200, answer.text
    return token


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None, "the page has no CSRF token"
    return found[1]


def log_of(services: Services) -> list[dict[str, Any]]:
    """The whole event log, as the raw log endpoint serves it."""
    items, _ = read_log(services.ledger, 0, 100_000)
    return items


MEASURE_FORM = {
    "authority": "UK",
    "programs": "RUSSIA",
    "effective_from": "2022-03-01",
    "source_authority": "UK",
    "source_reference": "UK sanctions notice 2022/1",
}
