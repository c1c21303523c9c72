"""Fixtures every test can use: stores, a hand-set clock, a ledger on each store."""

from __future__ import annotations

import gc
import logging
import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from application.ledger import Ledger
from application.storage import persistence_env
from tests.support.clock import FakeClock
from tests.support.secrets import leaks_in_files, leaks_in_postgres, secret_parts
from tests.support.stores import PostgresDatabase, postgres_database

# Tests call the API far faster than any client; the rate-limit tests set their own limits.
os.environ.setdefault("LEDGER_RATE_LIMIT_PER_MINUTE", "10000000")
os.environ.setdefault("LEDGER_RATE_LIMIT_BURST", "1000000")
# A PostgreSQL ledger's pool opens its first connection at once and the others as they are
# asked for, up to the library's default maximum (5 + 10): a test seldom uses more than two,
# and each connection opened costs the server some 8 ms of its processor, five per start.
os.environ.setdefault("POSTGRES_POOL_SIZE", "1")
os.environ.setdefault("POSTGRES_MAX_OVERFLOW", "14")

STORES = ["memory", "sqlite", "postgres"]
SLOW_FOLDERS = frozenset({"e2e", "imports"})
"""Tests that run the real command in processes of its own, or import whole published lists."""
REAL_LISTS = frozenset({"sdn_history", "ofac_set", "un_lists", "sdn_copies"})
"""Fixtures that unpack real published lists from the shared data."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` what ``make test`` leaves to ``make test-slow`` (CI runs both): the
    processes, the real lists, the load and fault tests marked one by one, and the
    PostgreSQL runs of the heaviest property tests (``slow_on_postgres``), whose in-process
    runs stay in ``make test``."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if (
            SLOW_FOLDERS.intersection(item.path.parts)
            or REAL_LISTS & fixtures
            or (item.get_closest_marker("slow_on_postgres") and _on_postgres(item))
        ):
            item.add_marker(pytest.mark.slow)


FULL_PASS_EVERY = 100
"""Young passes of the second generation between two full passes of the collector (10 by
default): each full pass walks every object the tests keep alive, some 50 to 150 ms."""


def pytest_collection_finish(session: pytest.Session) -> None:  # noqa: ARG001 - the hook's
    """Keep what the session holds for its whole length (the modules, the collected tests)
    out of the collector's full passes, and make those rarer: they walked it all some 30
    times in a worker's share of the API tests, 13 % of its time."""
    _freeze_what_the_session_keeps()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_PASS_EVERY)


CHECK_FROZEN_EVERY = 25
"""Tests between two looks at whether the frozen objects were given back: counting them
walks them all (10 ms)."""
_finished = 0


def pytest_runtest_logfinish() -> None:
    """An app that owned its services gives every frozen object back when it stops
    (``application.collector``): freeze again what the session still holds."""
    global _finished
    _finished += 1
    if _finished % CHECK_FROZEN_EVERY == 0 and gc.get_freeze_count() == 0:
        _freeze_what_the_session_keeps()


def _freeze_what_the_session_keeps() -> None:
    gc.collect()
    gc.freeze()


def _on_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return "postgres" in params or item.get_closest_marker("postgres") is not None


FILE_STORES = ["sqlite", "postgres"]


POSTGRES_LEAKS: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def secrets_stay_secret(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole session: no API key secret in any file the tests left (the SQLite
    files and their journals among them), in any log line, or in the PostgreSQL database."""
    root = tmp_path_factory.getbasetemp()
    log_file = logging.FileHandler(root / "session.log")
    logging.getLogger().addHandler(log_file)
    yield
    logging.getLogger().removeHandler(log_file)
    log_file.close()
    leaks = leaks_in_files(root, secret_parts()) + POSTGRES_LEAKS
    assert not leaks, f"API key secrets written down: {leaks}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabase]:
    """This session's own PostgreSQL database, searched for secrets and dropped when the
    session ends."""
    with postgres_database() as database:
        yield database
        POSTGRES_LEAKS.extend(leaks_in_postgres(database.url, secret_parts()))


def store_url(kind: str, request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    if kind == "memory":
        return "memory://"
    if kind == "sqlite":
        return f"sqlite:///{os.fspath(tmp_path)}/ledger-{uuid.uuid4().hex[:8]}.db"
    database: PostgresDatabase = request.getfixturevalue("postgres")
    return database.new_schema()


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def database_url(
    store_kind: str, request: pytest.FixtureRequest, tmp_path: os.PathLike[str]
) -> str:
    """A fresh, empty store of each kind in turn."""
    return store_url(store_kind, request, tmp_path)


@pytest.fixture
def new_database_url(
    store_kind: str, request: pytest.FixtureRequest, tmp_path: os.PathLike[str]
) -> Callable[[], str]:
    """Another fresh, empty store of the same kind at each call: for property tests, whose
    examples must not see each other's data."""
    return lambda: store_url(store_kind, request, tmp_path)


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
