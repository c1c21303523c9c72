"""Fixtures of the web pages' tests: one app for all of them, a ledger with the founding
example (a fresh one for each test that records, one per module for the tests that only
read), browser-like clients (cookies kept, redirects followed) and signing in.

One app serves every test here. FastAPI works out an app's routes on its first request, a
third of a second per app, longer than most of these tests take; so the app is made once, and
each test hands it its ledger (``serve``), as the app's lifespan would. The app is never
started: its lifespan (which builds or adopts services of its own) is run by the slow store
test in test_pages.py, the browser test and the API's tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.demo.founding_example import load_founding_example
from application.event_log import read_log
from application.settings import Settings
from domain.values import Actor
from tests.support.clock import FakeClock
from tests.support.keys import issue

SOIN = "7c8cd24f-bfad-5755-b9af-fd7b8ae4f292"
SIGN_IN = "/ui/sign-in"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def load_example(services: Services) -> None:
    load_founding_example(services.ledger, Actor(id="cli", name="cli"))


def example_ledger(clock: FakeClock) -> Services:
    """An in-memory ledger with the founding example."""
    built = bootstrap(Settings(database_url="memory://"), clock=clock)
    load_example(built)
    return built


def serve(app: FastAPI, services: Services) -> None:
    """Make ``app`` answer with ``services``, and forget what it made from the ones before
    (its sessions, which read their table through the services)."""
    app.state.services = services
    app.state.ui_sessions = None


@pytest.fixture(scope="session")
def ui_app() -> FastAPI:
    return create_app(settings=Settings(database_url="memory://"))


@pytest.fixture
def ui_services(ui_app: FastAPI, clock: FakeClock) -> Iterator[Services]:
    """A ledger of this test's own, served: for a test that records (or tries to)."""
    built = example_ledger(clock)
    serve(ui_app, built)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture(scope="module")
def shared_example() -> Iterator[Services]:
    """One ledger for a module's tests that record nothing (they may add keys and sessions,
    which no other test counts)."""
    built = example_ledger(FakeClock())
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def reading(ui_app: FastAPI, shared_example: Services) -> Services:
    """The module's shared ledger, served: for a test that only reads."""
    serve(ui_app, shared_example)
    return shared_example


Browser = Callable[..., TestClient]


@pytest.fixture
def browser(ui_app: FastAPI) -> Iterator[Browser]:
    """Opens clients on the app, like browsers: each keeps its own cookies. A client made
    with ``https=True`` talks to the app as if over TLS."""
    opened: list[TestClient] = []

    def open_browser(https: bool = False) -> TestClient:
        client = TestClient(ui_app, base_url="https://testserver" if https else "http://testserver")
        opened.append(client)
        return client

    yield open_browser
    for client in opened:
        client.close()


@pytest.fixture(scope="module")
def _signed_in_clients() -> Iterator[dict[str, TestClient]]:
    clients: dict[str, TestClient] = {}
    yield clients
    for client in clients.values():
        client.close()


@pytest.fixture
def signed_in(
    ui_app: FastAPI, reading: Services, _signed_in_clients: dict[str, TestClient]
) -> Callable[[str], TestClient]:
    """A client signed in to the shared ledger with a key of ``role``: one per role and
    module, so that the tests that only read do not sign in again and again."""

    def client_of(role: str) -> TestClient:
        if role not in _signed_in_clients:
            client = TestClient(ui_app)
            sign_in(client, reading, role)
            _signed_in_clients[role] = client
        return _signed_in_clients[role]

    return client_of


def sign_in_token(client: TestClient) -> str:
    """The token of the sign-in form, as the browser is shown it (with its cookie)."""
    return csrf_of(client.get(SIGN_IN).text)


def post_sign_in(
    client: TestClient, key: str, headers: dict[str, str] | None = None, **fields: str
) -> Response:
    """The sign-in form, filled in with ``key`` and sent as a browser sends it: with the token
    the page just gave, unless ``fields`` says otherwise. The answer itself, not followed."""
    data = {"key": key, "csrf_token": sign_in_token(client), **fields}
    return client.post(SIGN_IN, data=data, headers=headers, follow_redirects=False)


def sign_in(client: TestClient, services: Services, role: str) -> str:
    """Sign in with a new key of ``role``; the key's token."""
    token = issue(services, role, f"ui {role}")
    answer = post_sign_in(client, token)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/ui/search"
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
