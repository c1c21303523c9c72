"""Importing dated copies of the OFAC SDN list turns them into an honest history: as of each
copy's observed time, the ledger's list is that copy, entry for entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.importers.ofac_csv import iter_sdn_entries
from application.importers.publications import observed_at_in_name, ofac_sdn
from application.importers.records import MalformedPublication
from domain.publications import PublicationRefused
from domain.values import Authority, Reference
from tests.imports.conftest import Imported
from tests.support.ledgers import log_dump

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ofac-import")]


def published(copy: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each entry of a copy as (primary name, programs), by ent_num."""
    with copy.open("rb") as stream:
        return {e.reference: (e.names[0].value, e.programs) for e in iter_sdn_entries(stream)}


def measures_as_of(reader: TestClient, copy: Path) -> list[dict[str, Any]]:
    """GET /v1/measures?authority=US-OFAC&as_of=<the copy's observed time>, every page."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {
        "authority": "US-OFAC",
        "as_of": observed_at_in_name(copy.name).isoformat(),
        "limit": 1000,
    }
    while True:
        body = reader.get("/v1/measures", params=params).json()
        found += body["items"]
        if body["next_cursor"] is None:
            return found
        params = {"cursor": body["next_cursor"], "limit": 1000}


def ent_num(measure: dict[str, Any]) -> str:
    [reference] = [r["id"] for r in measure["references"] if r["authority"] == "US-OFAC"]
    return str(reference)


def listed(reader: TestClient, copy: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each measure in force as of the copy's time as (primary name, programs), by ent_num."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for measure in measures_as_of(reader, copy):
        assert ent_num(measure) not in found, f"{ent_num(measure)} listed twice"
        found[ent_num(measure)] = (measure["primary_name"], tuple(measure["programs"]))
    return found


def test_as_of_each_copy_the_list_is_that_copy(ofac: Imported, sdn_copies: list[Path]) -> None:
    for copy in sdn_copies:
        assert listed(ofac.reader, copy) == published(copy), copy.name


def test_the_25_designations_cite_the_copy_of_10_december_2021(
    ofac: Imported, sdn_copies: list[Path]
) -> None:
    before, day = sdn_copies[0], sdn_copies[1]
    new = published(day).keys() - published(before).keys()
    assert len(new) == 25
    assert ofac.summaries[day.name].added == 25
    cited = [
        m for m in measures_as_of(ofac.reader, day) if m["source"]["reference"].endswith(day.name)
    ]
    assert {ent_num(m) for m in cited} == new
    for measure in cited:
        assert measure["effective_from"].startswith("2021-12-10T18:50:16")
        assert measure["source"]["observed_at"].startswith("2021-12-10T18:50:16")
        assert len(measure["source"]["sha256"]) == 64


def test_the_152_delistings_up_to_5_january_2022_are_rescissions(
    ofac: Imported, sdn_copies: list[Path]
) -> None:
    # Between the copies of 2021-12-16 and 2022-01-05 OFAC delisted 152 entries (150 of them
    # in one copy observed 2021-12-30, which this sample skips).
    previous, delisting = sdn_copies[2], sdn_copies[3]
    gone = published(previous).keys() - published(delisting).keys()
    assert len(gone) == 152
    assert ofac.summaries[delisting.name].rescinded == 152
    ledger = ofac.services.ledger
    for reference in gone:
        subject_id = ledger.subject_id_for(Reference(Authority.US_OFAC, reference))
        assert subject_id is not None
        [measure] = ledger.subject(subject_id).state.measures.values()
        assert measure.rescinded_at == observed_at_in_name(delisting.name)


def test_importing_a_copy_again_records_nothing(ofac: Imported, sdn_copies: list[Path]) -> None:
    before = log_dump(ofac.services.ledger)
    for copy in (sdn_copies[0], sdn_copies[-1]):
        again = ofac.importer.run(ofac_sdn(copy, observed_at_in_name(copy.name)))
        assert again.already_imported
        assert again.events == 0
    assert log_dump(ofac.services.ledger) == before


def test_a_truncated_or_corrupted_copy_is_refused_with_its_line(
    ofac: Imported, sdn_copies: list[Path], tmp_path: Path
) -> None:
    before = log_dump(ofac.services.ledger)
    data = sdn_copies[-1].read_bytes()
    later = "sdn_2022-03-01T184726Z.csv"
    truncated = tmp_path / later
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(MalformedPublication, match=r"line \d+: .*truncated"):
        ofac.importer.run(ofac_sdn(truncated, observed_at_in_name(later)))
    corrupted = tmp_path / "corrupted" / later
    corrupted.parent.mkdir()
    lines = data.split(b"\r\n")
    lines[500] = lines[500].replace(b",", b";", 3)
    corrupted.write_bytes(b"\r\n".join(lines))
    with pytest.raises(MalformedPublication, match="line 501: expected 12 columns"):
        ofac.importer.run(ofac_sdn(corrupted, observed_at_in_name(later)))
    assert log_dump(ofac.services.ledger) == before


def test_an_older_copy_cannot_follow_a_newer_one(
    ofac: Imported, sdn_copies: list[Path], tmp_path: Path
) -> None:
    before = log_dump(ofac.services.ledger)
    older = tmp_path / "sdn_2021-11-01T000000Z.csv"
    older.write_bytes(sdn_copies[0].read_bytes().replace(b"-0- ", b"-0-", 1))
    with pytest.raises(PublicationRefused):
        ofac.importer.run(ofac_sdn(older, observed_at_in_name(older.name)))
    assert log_dump(ofac.services.ledger) == before
