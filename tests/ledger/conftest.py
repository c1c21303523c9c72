"""Fixtures the ledger's tests share: the service tables beside the ledger's own store, and
a clock of seconds for the idempotency store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.ledger import Ledger
from application.tables import Tables, tables_for
from tests.support.clock import SecondsClock


@pytest.fixture
def tables(ledger: Ledger) -> Iterator[Tables]:
    built = tables_for(ledger)
    yield built
    built.close()


@pytest.fixture
def time() -> SecondsClock:
    return SecondsClock()
