"""Screening over HTTP: names against the ledger at a point in both times, each a receipt.

On every store: the founding example's SOIN found by a spelling of his own, and only where
both times say he was designated and recorded; every answer kept as a receipt that shows
and redoes the screening the same way after a thousand more events and a rebuild of the
views; bad input refused with a problem document and no receipt kept; CSV and JSON Lines
batches streamed a line per row; and yente's /match answered in yente's own shape.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field

from application.bootstrap import Services
from application.demo.founding_example import demo_subject_id, load_founding_example
from domain.values import Actor
from tests.api.payloads import designation, subject

PROBLEM = "application/problem+json"
SOIN = "SOIN, Dmitriy Yurevich"
SOIN_ID = str(demo_subject_id("ofac-34021"))
ASKED = "Dmitry Yurevich Soin"
OPERATOR = Actor("k1", "operator")


@pytest.fixture
def founded(services: Services) -> Services:
    assert load_founding_example(services.ledger, OPERATOR) is not None
    return services


def screen(client: TestClient, **body: Any) -> dict[str, Any]:
    answer = client.post("/v1/screenings", json=body)
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    assert answer.headers["x-screening-id"] == document["screening_id"]
    return document


def top_names(answer: dict[str, Any], query: int = 0) -> list[str]:
    return [hit["primary_name"] for hit in answer["results"][query]["hits"]]


def receipts_kept(services: Services) -> int:
    with services.tables.transaction(commit=False) as statements:
        statements.execute("SELECT COUNT(*) AS n FROM {ledger_screenings}")
        row = statements.fetchone()
    assert row is not None
    return int(row["n"])


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


def post_batch(client: TestClient, body: str, media_type: str, query: str = "") -> Any:
    return client.post(
        f"/v1/screenings{query}", content=body.encode(), headers={"Content-Type": media_type}
    )


BAD_BATCHES = {
    "100,001 rows": ("text/csv", "name\n" + "a\n" * 100_001, "more than 100000 rows"),
    "no name column": ("text/csv", "nom,kind\nSoin,person\n", "'name' column"),
    "bad quoting": ("text/csv", 'name,kind\n"Soin" x,person\n', "not valid CSV"),
    "an open quote": ("text/csv", 'name\n"Soin\n', "not valid CSV"),
    "a short row": ("text/csv", "name,kind\nSoin\n", "cells"),
    "an unknown column": ("text/csv", "name,dob\nSoin,1969\n", "unknown column"),
    "an empty name": ("text/csv", "name,kind\n,person\n", "name or at least one identifier"),
    "only a header": ("text/csv", "name\n", "no rows"),
    "a bad JSON line": ("application/x-ndjson", '{"name": "a"}\n{"name": \n', "line 2"),
    "a JSON line not an object": ("application/x-ndjson", '{"name": "a"}\n["a"]\n', "line 2"),
    "a long name on a line": ("application/x-ndjson", json.dumps({"name": "z" * 600}), "line 1"),
    "a control character": ("text/csv", "name\nSo\x00in\n", "line 2"),
}


@pytest.mark.parametrize("case", sorted(BAD_BATCHES))
def test_a_bad_batch_is_refused_whole_and_nothing_kept(
    client: TestClient, services: Services, case: str
) -> None:
    media_type, body, said = BAD_BATCHES[case]
    answer = post_batch(client, body, media_type)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert said in answer.json()["detail"]
    assert receipts_kept(services) == 0


# Batches ----------------------------------------------------------------------------------


def json_lines(answer: Any) -> list[dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in answer.text.splitlines()]


@pytest.mark.usefixtures("founded")
def test_a_csv_batch_streams_a_result_per_row(client: TestClient) -> None:
    body = (
        "name,kind,birth_date,country,identifier\n"
        f"{ASKED},person,1969-08-07,Russia,\n"
        "Nobody At All Here,,,,\n"
        '"SOIN, Dmitriy",person,,,\n'
    )
    header, *results = json_lines(post_batch(client, body, "text/csv", "?as_of=2021-12-11"))
    assert header["screening_id"].startswith("scr_")
    assert header["read_point"]["as_of"].startswith("2021-12-11")
    assert [r["query"]["name"] for r in results] == [ASKED, "Nobody At All Here", "SOIN, Dmitriy"]
    assert results[0]["hits"][0]["primary_name"] == SOIN
    assert results[1]["hits"] == []
    assert results[0]["query"]["birth_dates"] == ["1969-08-07"]
    kept = client.get(f"/v1/screenings/{header['screening_id']}").json()
    assert kept["results"] == results
    assert len(kept["request"]["queries"]) == 3


def test_a_json_lines_batch_streams_a_result_per_row(client: TestClient, founded: Services) -> None:
    lines = [{"name": ASKED}, {"name": "Nobody At All Here", "kind": "organization"}]
    body = "\n".join(json.dumps(line) for line in lines) + "\n\n"
    query = "?as_of=2021-12-09&threshold=0.5&limit=2"
    header, *early = json_lines(post_batch(client, body, "application/x-ndjson", query))
    assert (header["threshold"], header["limit"]) == (0.5, 2)
    assert [r["hits"] for r in early] == [[], []]
    header, *results = json_lines(post_batch(client, body, "application/x-ndjson"))
    assert results[0]["hits"][0]["primary_name"] == SOIN
    assert len(results) == 2
    assert receipts_kept(founded) == 2


@pytest.mark.slow
def test_a_batch_of_100_000_rows_is_screened(client: TestClient, founded: Services) -> None:
    """The most one batch may hold, of names as long as real ones: several megabytes, past
    the limit of other bodies and within the limit of files to screen."""
    body = "name\n" + "".join(
        f"Subject Number {number} Of The Screening Batch\n" for number in range(100_000)
    )
    assert founded.settings.max_body_bytes < len(body) < founded.settings.max_batch_bytes
    answer = post_batch(client, body, "text/csv")
    _, *results = json_lines(answer)
    assert len(results) == 100_000
    assert results[-1]["query"]["name"] == "Subject Number 99999 Of The Screening Batch"


# yente's /match ---------------------------------------------------------------------------


class YenteTotal(BaseModel):
    value: int
    relation: str


class YenteExample(BaseModel):
    id: str | None = None
    schema_: str = Field(alias="schema")
    properties: dict[str, str | list[str]]


class YenteScoredEntity(BaseModel):
    """yente's ScoredEntityResponse: its EntityResponse fields, then the score's."""

    model_config = ConfigDict(extra="forbid")

    id: str
    caption: str
    schema_: str = Field(alias="schema")
    properties: dict[str, list[str]]
    datasets: list[str]
    referents: list[str]
    target: bool
    first_seen: datetime | None
    last_seen: datetime | None
    last_change: datetime | None
    score: float
    features: dict[str, float]
    match: bool


class YenteMatches(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: int
    results: list[YenteScoredEntity]
    total: YenteTotal
    query: YenteExample


class YenteFeatureDoc(BaseModel):
    description: str | None
    coefficient: float
    url: str


class YenteMatchResponse(BaseModel):
    """yente's EntityMatchResponse; the ledger's own additions are extra fields."""

    responses: dict[str, YenteMatches]
    matcher: dict[str, YenteFeatureDoc]
    limit: int


def yente_query() -> dict[str, Any]:
    """As yente's documentation shows a query."""
    return {
        "queries": {
            "entity1": {
                "schema": "Person",
                "properties": {
                    "name": [ASKED],
                    "birthDate": ["1969-08-07"],
                    "nationality": ["Russia"],
                },
            },
            "entity2": {
                "schema": "Company",
                "properties": {"name": ["Brilliant Amazing Limited"], "jurisdiction": ["hk"]},
            },
        }
    }


@pytest.mark.usefixtures("founded")
def test_match_answers_in_yentes_shape(client: TestClient) -> None:
    answer = client.post("/match/default?as_of=2021-12-11", json=yente_query())
    assert answer.status_code == 200, answer.text
    document = answer.json()
    matched = YenteMatchResponse.model_validate(document)
    person = matched.responses["entity1"]
    top = person.results[0]
    assert (top.id, top.caption, top.schema_, top.match) == (SOIN_ID, SOIN, "Person", True)
    assert top.datasets == ["US-OFAC"]
    assert "US-OFAC:34021" in top.referents
    assert "SOIN, Dmitry Yuryevich" in top.properties["alias"]
    assert top.properties["birthDate"] == ["1969-08-07"]
    assert top.features["birth_date"] == 1
    assert person.total.value >= 1 and person.status == 200
    assert person.query.properties["name"] == [ASKED]
    assert matched.responses["entity2"].results == []
    assert matched.limit == 5
    assert answer.headers["x-screening-id"] == document["screening_id"]
    kept = client.get(f"/v1/screenings/{document['screening_id']}")
    assert kept.status_code == 200


@pytest.mark.usefixtures("founded")
def test_match_by_authority_and_in_both_times(client: TestClient) -> None:
    query = yente_query()
    ofac = client.post("/match/US-OFAC?as_of=2021-12-11", json=query).json()
    uk = client.post("/match/UK?as_of=2021-12-11", json=query).json()
    before = client.post("/match/default?as_of=2021-12-09", json=query).json()
    unrecorded = client.post("/match/default?known_at=position:0", json=query).json()
    assert ofac["responses"]["entity1"]["results"][0]["id"] == SOIN_ID
    for answer in (uk, before, unrecorded):
        ids = [result["id"] for result in answer["responses"]["entity1"]["results"]]
        assert SOIN_ID not in ids


def test_match_refuses_an_unknown_dataset_or_schema(client: TestClient, services: Services) -> None:
    unknown = client.post("/match/us_ofac_sdn", json=yente_query())
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == PROBLEM
    query = {"queries": {"q": {"schema": "Vehicle", "properties": {"name": ["X"]}}}}
    wrong = client.post("/match/default", json=query)
    assert wrong.status_code == 422
    assert "Vehicle" in wrong.json()["detail"]
    nameless = {"queries": {"q": {"schema": "Person", "properties": {"birthDate": ["1969"]}}}}
    assert client.post("/match/default", json=nameless).status_code == 422
    assert receipts_kept(services) == 0


@pytest.mark.usefixtures("founded")
def test_match_with_the_thresholds_yente_takes(client: TestClient) -> None:
    answer = client.post(
        "/match/default?as_of=2021-12-11&threshold=1&cutoff=0.3&limit=2", json=yente_query()
    ).json()
    results = answer["responses"]["entity1"]["results"]
    assert answer["limit"] == 2 and len(results) <= 2
    assert results[0]["id"] == SOIN_ID
    assert all(not result["match"] for result in results if result["score"] < 1)
    assert all(result["score"] >= 0.3 for result in results)
