"""The four UN Security Council lists of 2018, imported in order: LISTED_ON dates each
designation, and entries that vanish from a list are rescinded as of that list."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from application.importers.un_xml import read_un_list
from domain.values import Authority, Reference
from tests.imports.conftest import Imported

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("un-import")]


def entries(path: Path) -> dict[str, Any]:
    with path.open("rb") as stream:
        publication = read_un_list(stream)
        return {e.reference: e for e in publication.entries}


def generated(path: Path) -> str:
    with path.open("rb") as stream:
        return read_un_list(stream).date_generated.isoformat()


def listed_as_of(imported: Imported, moment: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    params: dict[str, Any] = {"authority": "UN-SC", "as_of": moment, "limit": 1000}
    while True:
        body = imported.reader.get("/v1/measures", params=params).json()
        for measure in body["items"]:
            [reference] = [r["id"] for r in measure["references"] if r["authority"] == "UN-SC"]
            found[reference] = measure["programs"]
        if body["next_cursor"] is None:
            return found
        params = {"cursor": body["next_cursor"], "limit": 1000}


def test_each_list_is_the_ledger_as_of_its_date(un: Imported, un_lists: list[Path]) -> None:
    for path in un_lists:
        published = entries(path)
        assert listed_as_of(un, generated(path)) == {
            reference: list(entry.programs) for reference, entry in published.items()
        }, path.name


def test_listed_on_is_the_designation_date(un: Imported, un_lists: list[Path]) -> None:
    ledger = un.services.ledger
    for reference, entry in list(entries(un_lists[-1]).items())[:50]:
        subject_id = ledger.subject_id_for(Reference(Authority.UN_SC, reference))
        assert subject_id is not None
        [measure] = ledger.subject(subject_id).state.measures.values()
        assert measure.effective_from.date().isoformat() == entry.listed_on


def test_entries_that_vanish_are_rescinded_as_of_the_list_without_them(
    un: Imported, un_lists: list[Path]
) -> None:
    ledger = un.services.ledger
    vanished = 0
    for earlier, later in pairwise(un_lists):
        gone = entries(earlier).keys() - entries(later).keys()
        assert un.summaries[later.name].rescinded == len(gone)
        for reference in gone:
            subject_id = ledger.subject_id_for(Reference(Authority.UN_SC, reference))
            assert subject_id is not None
            measures = ledger.subject(subject_id).state.measures.values()
            assert [m.rescinded_at.isoformat() for m in measures if m.rescinded_at] == [
                generated(later)
            ]
        vanished += len(gone)
    assert vanished == 16
