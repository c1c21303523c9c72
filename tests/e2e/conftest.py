"""Fixtures of the tests that tamper with a ledger's database behind its back: the ledger on
each file store, and ``verify`` made to list every problem it finds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.proofs import verification
from tests.conftest import FILE_STORES, store_url
from tests.support.events_table import Table, Tampered
from tests.support.tamper_ledger import build


@pytest.fixture(scope="module", params=FILE_STORES)
def tampered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Tampered]:
    """A ledger per store for the module; each test puts back what it changed."""
    services = build(store_url(request.param, request, tmp_path_factory.mktemp("tamper")))
    try:
        table = Table(services)
        original = table.records()
        yield Tampered(services, table, original)
    finally:
        services.close()


@pytest.fixture
def every_problem_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verification, "MAX_LISTED", 10**6)
