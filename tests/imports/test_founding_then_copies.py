"""The dated OFAC copies import after the founding example was recorded by hand, the earliest
copy included: a copy observed before a designation takes effect cannot have listed it, and
must not end it."""

from __future__ import annotations

from pathlib import Path

from application.bootstrap import bootstrap
from application.demo.founding_example import load_founding_example
from application.importers.importer import Importer
from application.importers.publications import observed_at_in_name, ofac_sdn
from application.settings import Settings
from domain.values import Actor


def test_copies_import_after_the_founding_example(sdn_copies: list[Path], tmp_path: Path) -> None:
    services = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}/l.db", projections="inline"))
    try:
        example = load_founding_example(services.ledger, Actor("operator", "op"))
        assert example is not None
        importer = Importer(services, Actor("importer", "list importer"))
        first = importer.run(ofac_sdn(sdn_copies[0], observed_at_in_name(sdn_copies[0].name)))
        # The copy of 9 December lists none of the designations of 10 December: none ended.
        assert first.rescinded == 0
        for copy in sdn_copies[1:]:
            assert importer.run(ofac_sdn(copy, observed_at_in_name(copy.name))).events > 0
    finally:
        services.close()
