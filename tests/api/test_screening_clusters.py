"""Screening per cluster: one person listed by two authorities, linked, screened as one.

On memory and SQLite: OFAC's and the UN's records of one man, with similar names, are two
hits that each name their cluster once linked; asked per cluster, one hit names both members
and both authorities; once unlinked (as known after the unlinking), they are two hits again;
and a screening per cluster is redone the same from its receipt, after the unlinking too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from application.bootstrap import Services
from tests.api.payloads import designation, subject
from tests.support.clock import FakeClock

both_stores = pytest.mark.parametrize("store_kind", ["memory", "sqlite"])

ASKED = "Dmitry Yurevich Soin"
AS_OF = "2022-06-01"
UN_SOURCE = {"authority": "UN-SC", "reference": "SC/14392", "published_on": "2021-12-10"}


def registered(client: TestClient, body: dict[str, Any]) -> str:
    response = client.post("/v1/subjects", json=body)
    assert response.status_code == 201, response.text
    subject_id: str = response.json()["subject_ids"][0]
    return subject_id


def designated(client: TestClient, subject_id: str, **changes: Any) -> None:
    body = {**designation("2021-12-10"), **changes}
    response = client.post(f"/v1/subjects/{subject_id}/designations", json=body)
    assert response.status_code == 201, response.text


@pytest.fixture
def pair(client: TestClient, clock: FakeClock) -> tuple[str, str]:
    """OFAC's record and the UN's of one man, each under its authority's measure."""
    clock.set("2022-01-03T09:00:00Z")
    ofac = registered(client, subject("SOIN, Dmitriy Yurevich", reference="34021"))
    designated(client, ofac)
    un_body = {**subject("SOIN Dmitry Yurevich"), "source": UN_SOURCE}
    un_body["references"] = [{"authority": "UN-SC", "id": "KPi.090"}]
    un = registered(client, un_body)
    designated(client, un, authority="UN-SC", source=UN_SOURCE)
    return ofac, un


def link(client: TestClient, clock: FakeClock, pair: tuple[str, str]) -> dict[str, Any]:
    clock.set("2022-02-01T09:00:00Z")
    body = {"subject_ids": list(pair), "reason": "same passport", "effective_from": "2022-01-01"}
    response = client.post("/v1/links", json=body)
    assert response.status_code == 201, response.text
    linked: dict[str, Any] = response.json()
    return linked


def unlink(client: TestClient, clock: FakeClock, link_id: str) -> dict[str, Any]:
    clock.set("2022-08-01T09:00:00Z")
    body = {"reason": "different fathers' names", "effective_at": "2022-07-01"}
    response = client.post(f"/v1/links/{link_id}/unlinking", json=body)
    assert response.status_code == 201, response.text
    unlinked: dict[str, Any] = response.json()
    return unlinked


def screen(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/screenings", json={"names": [ASKED], "as_of": AS_OF, **body})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def hits_of(answer: dict[str, Any], pair: tuple[str, str]) -> list[dict[str, Any]]:
    """The query's hits on the two records (the ledger holds nobody else named so)."""
    hits: list[dict[str, Any]] = answer["results"][0]["hits"]
    assert {hit["subject_id"] for hit in hits} <= set(pair)
    return hits


@both_stores
def test_without_the_option_each_hit_carries_its_cluster(
    client: TestClient, clock: FakeClock, pair: tuple[str, str]
) -> None:
    ofac, un = pair
    before = hits_of(screen(client), pair)
    assert {hit["subject_id"] for hit in before} == set(pair)
    assert [hit["cluster"] for hit in before] == [None, None]
    assert all("members" not in hit for hit in before), "the grouped fields only per cluster"

    link(client, clock, pair)
    answer = screen(client)
    assert answer["cluster"] is False
    hits = {hit["subject_id"]: hit for hit in hits_of(answer, pair)}
    canonical = "cl_" + min(pair)
    assert hits[ofac]["cluster"] == {"cluster_id": canonical, "members": [un]}
    assert hits[un]["cluster"] == {"cluster_id": canonical, "members": [ofac]}
    assert [m["authority"] for m in hits[ofac]["measures"]] == ["US-OFAC"]
    assert [m["authority"] for m in hits[un]["measures"]] == ["UN-SC"]


@both_stores
def test_per_cluster_one_hit_names_both_members_and_both_authorities(
    client: TestClient, clock: FakeClock, pair: tuple[str, str]
) -> None:
    apart = screen(client, cluster=True)
    assert len(hits_of(apart, pair)) == 2, "not linked yet: two single hits"
    assert [hit["members"] for hit in hits_of(apart, pair)] == [None, None]

    link(client, clock, pair)
    answer = screen(client, cluster=True)
    [hit] = hits_of(answer, pair)
    plain = {h["subject_id"]: h for h in hits_of(screen(client), pair)}
    best = max(plain.values(), key=lambda h: (h["score"], h["subject_id"] == min(pair)))
    assert (hit["subject_id"], hit["score"]) == (best["subject_id"], best["score"])
    assert hit["matched_name"] == best["matched_name"]
    assert hit["cluster"]["cluster_id"] == "cl_" + min(pair)
    assert [member["subject_id"] for member in hit["members"]] == sorted(pair)
    for member in hit["members"]:
        assert member["score"] == plain[member["subject_id"]]["score"], "both matched"
        assert member["primary_name"] == plain[member["subject_id"]]["primary_name"]
    assert hit["authorities"] == ["UN-SC", "US-OFAC"]
    summaries = sorted(m["summary"] for member in hit["members"] for m in member["measures"])
    assert summaries == [
        "designation by UN-SC since 2021-12-10 (DPRK3)",
        "designation by US-OFAC since 2021-12-10 (DPRK3)",
    ]
    assert sorted(hit["summary"].split("; ")) == summaries


@both_stores
def test_after_an_unlinking_they_are_two_hits_again(
    client: TestClient, clock: FakeClock, pair: tuple[str, str]
) -> None:
    linked = link(client, clock, pair)
    unlinked = unlink(client, clock, linked["link_ids"][0])
    between = f"position:{linked['position']}"
    after = f"position:{unlinked['position']}"

    assert len(hits_of(screen(client, cluster=True, known_at=between), pair)) == 1
    on_the_day = screen(client, cluster=True, known_at=after, as_of="2022-07-01")
    hits = hits_of(on_the_day, pair)
    assert {hit["subject_id"] for hit in hits} == set(pair)
    assert [(hit["cluster"], hit["members"]) for hit in hits] == [(None, None), (None, None)]
    earlier = screen(client, cluster=True, known_at=after)
    assert len(hits_of(earlier, pair)) == 1, "on 2022-06-01 they were one: unlinked from July"


@both_stores
def test_a_screening_per_cluster_is_redone_the_same(
    client: TestClient, clock: FakeClock, pair: tuple[str, str]
) -> None:
    linked = link(client, clock, pair)
    answer = screen(client, cluster=True)
    receipt = client.get(f"/v1/screenings/{answer['screening_id']}").json()
    assert receipt["request"]["cluster"] is True
    unlink(client, clock, linked["link_ids"][0])
    assert len(hits_of(screen(client, cluster=True, as_of="2022-07-01"), pair)) == 2

    redone = client.get(f"/v1/screenings/{answer['screening_id']}/reproduction").json()
    assert redone["same"] is True
    assert redone["results"] == answer["results"] == redone["original_results"]
    assert len(hits_of(redone, pair)) == 1


@both_stores
def test_a_batch_is_screened_per_cluster_when_asked(
    client: TestClient, clock: FakeClock, pair: tuple[str, str]
) -> None:
    link(client, clock, pair)
    body = f"name\n{ASKED}\n".encode()
    headers = {"Content-Type": "text/csv"}
    response = client.post(
        f"/v1/screenings?as_of={AS_OF}&cluster=true", content=body, headers=headers
    )
    assert response.status_code == 200, response.text
    header, result = (json.loads(line) for line in response.text.splitlines())
    assert header["cluster"] is True
    assert len(hits_of({"results": [result]}, pair)) == 1
    refused = client.post("/v1/screenings?cluster=true", json={"names": [ASKED]})
    assert refused.status_code == 422
    assert "cluster" in refused.json()["detail"]


@pytest.mark.parametrize("store_kind", ["memory"])
@pytest.mark.usefixtures("pair")
def test_a_receipt_kept_before_hits_named_clusters_is_redone_as_answered(
    client: TestClient, services: Services
) -> None:
    """A receipt whose request has no ``cluster`` was answered without the field: redone,
    its hits are as they were."""
    answer = screen(client)
    old_request = {k: v for k, v in receipt_request(client, answer).items() if k != "cluster"}
    old_answer = {key: value for key, value in answer.items() if key != "cluster"}
    for result in old_answer["results"]:
        result["hits"] = [{k: v for k, v in h.items() if k != "cluster"} for h in result["hits"]]
    with services.tables.transaction(commit=True) as statements:
        statements.execute(
            "UPDATE {ledger_screenings} SET request = ?, answer = ? WHERE screening_id = ?",
            (json.dumps(old_request), json.dumps(old_answer), answer["screening_id"]),
        )
    redone = client.get(f"/v1/screenings/{answer['screening_id']}/reproduction").json()
    assert redone["same"] is True
    assert all("cluster" not in hit for hit in redone["results"][0]["hits"])


def receipt_request(client: TestClient, answer: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = client.get(f"/v1/screenings/{answer['screening_id']}").json()[
        "request"
    ]
    return request


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_ledger_screen_takes_cluster(
    client: TestClient, clock: FakeClock, pair: tuple[str, str], database_url: str, tmp_path: Path
) -> None:
    """``ledger screen --cluster``, on the store the pair was recorded in."""
    link(client, clock, pair)
    names = tmp_path / "names.csv"
    names.write_text(f"name\n{ASKED}\n")
    arguments = ["screen", str(names), "--as-of", AS_OF, "--database", database_url]
    grouped = CliRunner().invoke(app, [*arguments, "--cluster"])
    single = CliRunner().invoke(app, arguments)
    assert grouped.exit_code == single.exit_code == 0, grouped.output + single.output
    header, result = (json.loads(line) for line in grouped.stdout.splitlines())
    assert header["cluster"] is True
    [hit] = hits_of({"results": [result]}, pair)
    assert hit["authorities"] == ["UN-SC", "US-OFAC"]
    _, apart = (json.loads(line) for line in single.stdout.splitlines())
    assert len(hits_of({"results": [apart]}, pair)) == 2
