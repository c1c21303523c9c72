"""Fixtures every test can use: stores, a hand-set clock, a ledger on each store."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from application.ledger import Ledger
from application.storage import persistence_env
from tests.support.clock import FakeClock
from tests.support.stores import PostgresDatabase, postgres_database

STORES = ["memory", "sqlite", "postgres"]
FILE_STORES = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabase]:
    """This session's own PostgreSQL database, dropped when the session ends."""
    with postgres_database() as database:
        yield database


def store_url(kind: str, request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    if kind == "memory":
        return "memory://"
    if kind == "sqlite":
        return f"sqlite:///{os.fspath(tmp_path)}/ledger.db"
    database: PostgresDatabase = request.getfixturevalue("postgres")
    return database.new_schema()


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """A fresh, empty store of each kind in turn."""
    return store_url(request.param, request, tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(database_url: str, clock: FakeClock) -> Iterator[Ledger]:
    app = Ledger(env=persistence_env(database_url), clock=clock)
    try:
        yield app
    finally:
        app.close()
