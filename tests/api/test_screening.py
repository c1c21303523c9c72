"""Screening over HTTP: names against the ledger at a point in both times, each a receipt.

On every store: the founding example's SOIN found by a spelling of his own, and only where
both times say he was designated and recorded; every answer kept as a receipt that shows
and redoes the screening the same way after a thousand more events and a rebuild of the
views; and bad input refused with a problem document and no receipt kept.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.bootstrap import Services
from tests.api.payloads import designation, subject
from tests.support.screening import ASKED, PROBLEM, SOIN, SOIN_ID, receipts_kept


def screen(client: TestClient, **body: Any) -> dict[str, Any]:
    answer = client.post("/v1/screenings", json=body)
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    assert answer.headers["x-screening-id"] == document["screening_id"]
    return document


def top_names(answer: dict[str, Any], query: int = 0) -> list[str]:
    return [hit["primary_name"] for hit in answer["results"][query]["hits"]]


# The founding example ---------------------------------------------------------------------


@pytest.mark.usefixtures("founded")
def test_a_spelling_of_his_own_finds_soin_first(client: TestClient) -> None:
    answer = screen(client, names=[ASKED])
    [result] = answer["results"]
    top = result["hits"][0]
    assert (top["subject_id"], top["primary_name"], top["kind"]) == (SOIN_ID, SOIN, "person")
    assert top["score"] >= 0.7
    assert set(top["features"]) >= {"name_similarity"}
    assert [(m["authority"], m["programs"]) for m in top["measures"]] == [("US-OFAC", ["DPRK3"])]
    assert answer["read_point"]["known_at"] == "now"
    assert answer["checkpoint"]["tree_size"] >= 1
    assert result["query"]["name"] == ASKED


@pytest.mark.usefixtures("founded")
def test_only_once_designated_in_effective_time(client: TestClient) -> None:
    before = screen(client, names=[ASKED], as_of="2021-12-09")
    after = screen(client, names=[ASKED], as_of="2021-12-11")
    assert SOIN not in top_names(before)
    assert top_names(after)[0] == SOIN


@pytest.mark.usefixtures("founded")
def test_only_once_recorded_in_recorded_time(client: TestClient) -> None:
    unrecorded = screen(client, names=[ASKED], as_of="2021-12-11", known_at="position:0")
    assert unrecorded["results"][0]["hits"] == []
    assert unrecorded["read_point"]["known_at"] == "position:0"


@pytest.mark.usefixtures("founded")
def test_queries_carry_what_else_is_known(client: TestClient) -> None:
    answer = screen(
        client,
        queries=[
            {
                "name": ASKED,
                "kind": "person",
                "birth_dates": ["1969-08-07"],
                "countries": ["Russia"],
            },
            {"name": ASKED, "kind": "vessel"},
        ],
        filters={"authorities": ["US-OFAC"]},
    )
    person, vessel = answer["results"]
    assert person["hits"][0]["primary_name"] == SOIN
    assert person["hits"][0]["features"]["birth_date"] == 1
    assert vessel["hits"] == []
    elsewhere = screen(client, names=[ASKED], filters={"authorities": ["UK"]})
    assert SOIN not in top_names(elsewhere)


# Receipts ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("founded")
def test_the_receipt_shows_what_was_asked_and_answered(client: TestClient) -> None:
    answer = screen(client, names=[ASKED], as_of="2021-12-11", threshold=0.8, limit=3)
    kept = client.get(f"/v1/screenings/{answer['screening_id']}")
    assert kept.status_code == 200
    receipt = kept.json()
    request = receipt.pop("request")
    assert receipt == answer
    assert request["queries"][0]["name"] == ASKED
    assert (request["threshold"], request["limit"]) == (0.8, 3)
    assert request["read_point"] == answer["read_point"]


def test_an_unknown_screening_is_not_found(client: TestClient) -> None:
    for path in ("/v1/screenings/scr_nothere", "/v1/screenings/scr_nothere/reproduction"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == PROBLEM


def record_a_thousand_events(client: TestClient) -> None:
    """500 new subjects named like SOIN, each designated: 1,000 events in four actions."""
    for action in range(4):
        items: list[dict[str, Any]] = []
        for number in range(125):
            key = f"s{number}"
            registered = subject(name=SOIN, reference=f"9{action}{number:04d}")
            items.append({"op": "register", "key": key, **registered})
            items.append({"op": "designate", "subject": key, **designation()})
        answer = client.post("/v1/actions", json={"items": items})
        assert answer.status_code == 201, answer.text
        assert len(answer.json()["events"]) == 250


def test_a_screening_is_reproduced_after_a_thousand_events_and_a_rebuild(
    client: TestClient, founded: Services
) -> None:
    answer = screen(client, names=[ASKED], as_of="2021-12-11")
    record_a_thousand_events(client)
    # The thousand are hits now: a screening not pinned to its point would differ.
    now = screen(client, names=[ASKED], as_of="2021-12-11")
    assert now["results"] != answer["results"]

    redone = client.get(f"/v1/screenings/{answer['screening_id']}/reproduction")
    assert redone.status_code == 200
    reproduction = redone.json()
    assert reproduction["same"] is True
    assert reproduction["results"] == answer["results"] == reproduction["original_results"]
    assert reproduction["read_point"] == answer["read_point"]

    founded.projector.rebuild()
    rebuilt = client.get(f"/v1/screenings/{answer['screening_id']}/reproduction").json()
    assert rebuilt["same"] is True
    assert rebuilt["results"] == answer["results"]


# Bad input --------------------------------------------------------------------------------

BAD_BODIES = {
    "an empty name": {"names": [""]},
    "a blank name": {"names": ["   "]},
    "a name of 10,000 characters": {"names": ["x" * 10_000]},
    "a query of 10,000 characters": {"queries": [{"name": "y" * 10_000}]},
    "a query with neither name nor identifiers": {"queries": [{"kind": "person"}]},
    "both names and queries": {"names": ["a"], "queries": [{"name": "a"}]},
    "neither names nor queries": {"threshold": 0.5},
    "no names at all": {"names": []},
    "1,001 queries": {"names": ["a"] * 1001},
    "a threshold above 1": {"names": ["a"], "threshold": 1.5},
    "a limit of 101": {"names": ["a"], "limit": 101},
    "an unknown field": {"names": ["a"], "nmes": ["b"]},
    "an unknown kind": {"queries": [{"name": "a", "kind": "ship"}]},
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_input_is_refused_and_nothing_kept(
    client: TestClient, services: Services, case: str
) -> None:
    before = receipts_kept(services)
    answer = client.post("/v1/screenings", json=BAD_BODIES[case])
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["detail"]
    assert receipts_kept(services) == before


def test_the_read_point_in_the_query_string_is_refused_with_a_json_body(
    client: TestClient, services: Services
) -> None:
    answer = client.post("/v1/screenings?as_of=2021-12-11", json={"names": [ASKED]})
    assert answer.status_code == 422
    assert "in the body" in answer.json()["detail"]
    assert receipts_kept(services) == 0
