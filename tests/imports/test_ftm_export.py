"""The FollowTheMoney export of real lists: the UN list of 2018-10-29 and OFAC's list of
2022-01-31 (the history copy of that day with the set's alt.csv: the set's own sdn.csv
repeats an ent_num, see shared/data/README.md) imported into one SQLite ledger.

Every entity loads with ``followthemoney`` without a single invalid property, every
Sanction names an entity of the same export, there is one Sanction per measure in force,
and ``ledger export --format ftm`` writes the same entities as ``GET /v1/exports/ftm``.
Linked, a UN and an OFAC record of one passport share their referents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import cli
from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.commands import Citation, LinkSubjects
from application.exports.ftm import ftm_export
from application.importers.importer import Importer
from application.importers.publications import observed_at_in_name, ofac_sdn, un_sc
from application.settings import Settings
from application.views.conditions import MeasureFilter
from domain.values import Actor
from tests.support.ftm import Entity, checked_export, parsed_lines
from tests.support.keys import bearer, issue
from tests.support.shared_data import OFAC_SET, SDN_HISTORY, UN_LISTS, unpack

ALT = "ofac-sdn-2022-01-31/alt.csv"
SDN = "sdn/sdn_2022-01-31T184651Z.csv"
UN_MEMBER = "un-sc-consolidated/consolidated_2018-10-29.xml"
AS_OF = "2022-02-01"


@dataclass(frozen=True)
class Lists:
    services: Services
    url: str
    known_at: str
    """The log position once the lists were imported, as ``known_at``."""
    entities: list[Entity]
    """The HTTP answer at AS_OF, known at ``known_at``."""


@pytest.fixture(scope="module")
def lists(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lists]:
    folder = tmp_path_factory.mktemp("ftm-lists")
    alt = unpack(OFAC_SET, [ALT], folder) / ALT
    sdn = unpack(SDN_HISTORY, [SDN], folder) / SDN
    un = unpack(UN_LISTS, [UN_MEMBER], folder) / UN_MEMBER
    url = f"sqlite:///{folder}/ledger.db"
    services = bootstrap(Settings(database_url=url, projections="inline"))
    try:
        importer = Importer(services, Actor("importer", "list importer"))
        importer.run(un_sc(un))
        importer.run(ofac_sdn(sdn, observed_at_in_name(sdn.name), alt=alt))
        services.projector.catch_up()
        headers = bearer(issue(services, "reader", "ftm export reader"))
        with TestClient(create_app(services=services), headers=headers) as reader:
            known_at = f"position:{services.ledger.last_position()}"
            response = reader.get("/v1/exports/ftm", params={"as_of": AS_OF, "known_at": known_at})
            assert response.status_code == 200
            yield Lists(services, url, known_at, parsed_lines(response.text))
    finally:
        services.close()


def measures_in_force(services: Services) -> Counter[str]:
    """The measures in force at AS_OF, by authority, as ``GET /v1/measures`` lists them."""
    point = services.reader.point(datetime.fromisoformat(AS_OF).replace(tzinfo=UTC))
    counts: Counter[str] = Counter()
    after = None
    while True:
        page = services.reader.measures(point, MeasureFilter(), after, 1000)
        counts.update(measure["authority"] for measure in page.items)
        if page.next_cursor is None:
            return counts
        after = page.items[-1]["measure_id"]


def test_every_entity_loads_and_every_sanction_names_one_of_them(lists: Lists) -> None:
    by_id = checked_export(lists.entities)

    schemata = Counter(entity["schema"] for entity in by_id.values())
    assert {"Person", "Organization", "Company", "Vessel", "Airplane", "Passport"} <= set(schemata)
    sanctions = [e for e in by_id.values() if e["schema"] == "Sanction"]
    by_authority = Counter(s["properties"]["country"][0] for s in sanctions)
    expected = measures_in_force(lists.services)
    assert len(sanctions) == sum(expected.values())
    assert by_authority == {"us": expected["US-OFAC"], "zz": expected["UN-SC"]}
    un = [s for s in sanctions if s["properties"]["country"] == ["zz"]]
    assert all(s["properties"]["unscId"] for s in un)


def test_the_command_writes_what_the_api_answers(lists: Lists, tmp_path: Path) -> None:
    target = tmp_path / "lists.ftm.json"
    result = CliRunner().invoke(
        cli.app,
        [
            *("export", str(target), "--format", "ftm", "--as-of", AS_OF),
            *("--known-at", lists.known_at, "--database", lists.url),
        ],
    )
    assert result.exit_code == 0, result.output
    assert parsed_lines(target.read_text()) == lists.entities


def test_a_un_and_an_ofac_record_of_one_passport_linked_share_their_referents(
    lists: Lists,
) -> None:
    """Records a link in the module's ledger: the other tests read it as known before."""
    by_id = {entity["id"]: entity for entity in lists.entities}
    holders: dict[str, set[str]] = {}
    countries = {  # a subject's authority: ``us`` for OFAC, ``zz`` for the UN
        entity["properties"]["entity"][0]: entity["properties"]["country"][0]
        for entity in by_id.values()
        if entity["schema"] == "Sanction"
    }
    for entity in by_id.values():
        if entity["schema"] == "Passport":
            [number], [holder] = entity["properties"]["number"], entity["properties"]["holder"]
            holders.setdefault(number, set()).add(holder)
    un_ofac = [
        sorted(found, key=countries.__getitem__)
        for found in holders.values()
        if len(found) == 2 and {countries.get(h) for h in found} == {"us", "zz"}
    ]
    assert un_ofac, "no passport held by one UN and one OFAC record"
    first, second = (UUID(h.removeprefix("ledger-")) for h in un_ofac[0])
    before = lists.services.ledger.last_position()
    lists.services.ledger.execute(
        LinkSubjects(
            (first, second),
            effective_from=datetime(2018, 1, 1, tzinfo=UTC),
            citation=Citation(reason="the same passport number, for this test"),
        ),
        Actor("linker", "ftm export test"),
    )

    point = lists.services.reader.point(datetime.fromisoformat(AS_OF).replace(tzinfo=UTC))
    linked = [e for e in ftm_export(lists.services).entities(point) if "referents" in e]
    assert len(linked) == 2 and linked[0]["referents"] == linked[1]["referents"]
    assert {e["id"] for e in linked} == set(un_ofac[0])
    earlier = lists.services.reader.point(point.as_of, f"position:{before}")
    assert not [e for e in ftm_export(lists.services).entities(earlier) if "referents" in e]
