"""Fixtures the ledger's tests share: the services with a projector the tests drive
themselves, the service tables beside the ledger's own store, and a clock of seconds for the
idempotency store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.bootstrap import Services, bootstrap
from application.ledger import Ledger
from application.settings import Settings
from application.tables import Tables, tables_for
from tests.support.clock import FakeClock, SecondsClock


@pytest.fixture
def services(database_url: str, clock: FakeClock) -> Iterator[Services]:
    """The services with their views projected only when a test says so."""
    built = bootstrap(Settings(database_url=database_url, projections="external"), clock=clock)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def tables(ledger: Ledger) -> Iterator[Tables]:
    built = tables_for(ledger)
    yield built
    built.close()


@pytest.fixture
def time() -> SecondsClock:
    return SecondsClock()
