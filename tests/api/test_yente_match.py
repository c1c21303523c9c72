"""yente's /match over HTTP: the founding example's SOIN matched and answered in yente's own
shape, by dataset and at a point in both times, with yente's thresholds; an unknown dataset or
schema refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field

from application.bootstrap import Services
from tests.support.screening import ASKED, PROBLEM, SOIN, SOIN_ID, receipts_kept


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
