"""Dated copies of the OFAC SDN list and the UN lists, imported once per store for a module.

Importing the first copy records some 27,000 events; the tests of a module share one
imported ledger per store and only read it (or check that what they try records nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.importers.importer import Importer, ImportSummary
from application.importers.publications import observed_at_in_name, ofac_sdn, un_sc
from application.settings import Settings
from domain.values import Actor
from tests.support.keys import bearer, issue
from tests.support.shared_data import SDN_HISTORY, UN_LISTS, unpack
from tests.support.stores import PostgresDatabase

SAMPLE = (
    "2021-12-09T185056Z",
    "2021-12-10T185016Z",
    "2021-12-16T014252Z",
    "2022-01-05T185151Z",
    "2022-02-24T015220Z",
    "2022-02-28T125947Z",
)
UN_DATES = ("2018-06-07", "2018-06-21", "2018-08-24", "2018-10-29")


@pytest.fixture(scope="session")
def sdn_copies(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A sample of dated SDN copies, oldest first, around the founding example's day."""
    members = [f"sdn/sdn_{stamp}.csv" for stamp in SAMPLE]
    target = unpack(SDN_HISTORY, members, tmp_path_factory.mktemp("sdn-sample"))
    return [target / member for member in members]


@pytest.fixture(scope="session")
def un_lists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    members = [f"un-sc-consolidated/consolidated_{day}.xml" for day in UN_DATES]
    target = unpack(UN_LISTS, members, tmp_path_factory.mktemp("un-lists"))
    return [target / member for member in members]


@dataclass
class Imported:
    """A ledger with publications imported, an importer to try more, and a reader's client."""

    services: Services
    importer: Importer
    reader: TestClient
    summaries: dict[str, ImportSummary] = field(default_factory=dict)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('imports')}/ledger.db"
    else:
        database: PostgresDatabase = request.getfixturevalue("postgres")
        url = database.new_schema()
    services = bootstrap(Settings(database_url=url, projections="inline"))
    try:
        yield services
    finally:
        services.close()


def _imported(services: Services) -> Iterator[Imported]:
    importer = Importer(services, Actor("importer", "list importer"))
    headers = bearer(issue(services, "reader", "import test reader"))
    with TestClient(create_app(services=services), headers=headers) as reader:
        yield Imported(services, importer, reader)


@pytest.fixture(scope="module")
def ofac(store: Services, sdn_copies: list[Path]) -> Iterator[Imported]:
    """The sample of SDN copies imported in order."""
    for imported in _imported(store):
        for copy in sdn_copies:
            publication = ofac_sdn(copy, observed_at_in_name(copy.name))
            imported.summaries[copy.name] = imported.importer.run(publication)
        store.projector.catch_up()  # a read waits a moment, not for a whole history
        yield imported


@pytest.fixture(scope="module")
def un(store: Services, un_lists: list[Path]) -> Iterator[Imported]:
    """The four UN lists of 2018 imported in order."""
    for imported in _imported(store):
        for path in un_lists:
            imported.summaries[path.name] = imported.importer.run(un_sc(path))
        store.projector.catch_up()
        yield imported
