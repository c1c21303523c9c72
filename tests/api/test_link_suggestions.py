"""Suggested links over HTTP: pairs across authorities, explained, at a read point.

A few hand-made subjects: one person listed by OFAC and by the UN under other spellings, a
namesake of his on the UN list with another passport, an unrelated UN entry, an OFAC company.
The suggestions pair only subjects of different authorities (a person never with a company),
put the true pair first with its reasons, keep the namesake below the threshold, answer for
the read point asked, page with a cursor, record nothing, and leave out every pair an operator
decided (linked or rejected) or that a cluster already joins.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.bootstrap import Services
from application.linking.evidence import THRESHOLD
from tests.support.clock import FakeClock
from tests.support.keys import bearer, issue
from tests.support.ledgers import log_dump

every_store = pytest.mark.parametrize("store_kind", ["memory", "sqlite"], indirect=True)
"""The tests of what each store's views answer; the others read the same views on one store."""
memory_only = pytest.mark.parametrize("store_kind", ["memory"], indirect=True)

SOURCES = {
    "US-OFAC": {"authority": "US-OFAC", "reference": "SDN list 2021-12-10"},
    "UN-SC": {"authority": "UN-SC", "reference": "SC/14392"},
    "UK": {"authority": "UK", "reference": "UK sanctions list 2021-12-10"},
}
PAGE = "/v1/link-suggestions"


def register(
    client: TestClient,
    authority: str,
    reference: str,
    names: list[str],
    kind: Any = "person",
    **profile: Any,
) -> str:
    body = {
        "kind": kind,
        "profile": {
            "names": [{"value": names[0]}, *({"value": n, "type": "aka"} for n in names[1:])],
            **profile,
        },
        "references": [{"authority": authority, "id": reference}],
        "effective_at": "2021-12-10",
        "source": SOURCES[authority],
    }
    response = client.post("/v1/subjects", json=body)
    assert response.status_code == 201, response.text
    subject_id: str = response.json()["subject_ids"][0]
    return subject_id


def passport(number: str) -> list[dict[str, str]]:
    return [{"kind": "passport", "value": number}]


@pytest.fixture
def listed(client: TestClient) -> dict[str, str]:
    soin = {"birth_dates": ["1969-08-07"], "nationalities": ["RU"]}
    return {
        "ofac": register(
            client,
            "US-OFAC",
            "34021",
            ["SOIN, Dmitriy Yurevich", "SOYIN, Dmitriy Yuryevich"],
            identifiers=passport("75 1234567"),
            **soin,
        ),
        "ofac company": register(
            client, "US-OFAC", "34022", ["EUROPEAN INSTITUTE JUSTO"], kind="organization"
        ),
        "un": register(client, "UN-SC", "KPi.901", ["DMITRY YURIEVICH SOIN"], **soin),
        "namesake": register(
            client,
            "UN-SC",
            "KPi.902",
            ["DMITRII SOIN"],
            identifiers=passport("99 7654321"),
            **soin,
        ),
        "unrelated": register(client, "UN-SC", "QDi.903", ["KIM JONG SIK"]),
    }


def suggestions(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get(PAGE, params=params)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def pairs(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["subject_ids"][0], item["subject_ids"][1]) for item in answer["items"]]


@every_store
def test_the_same_person_on_two_lists_comes_first_with_its_reasons(
    client: TestClient, listed: dict[str, str]
) -> None:
    answer = suggestions(client, authority_a="UN-SC", authority_b="US-OFAC")
    assert answer["min_score"] == THRESHOLD
    assert pairs(answer) == [(listed["un"], listed["ofac"])]
    best = answer["items"][0]
    assert best["score"] >= THRESHOLD
    assert best["subject_a"]["authorities"] == ["UN-SC"]
    assert best["subject_b"]["primary_name"] == "SOIN, Dmitriy Yurevich"
    assert best["features"]["birth_date"] == 1.0
    assert best["features"]["nationality"] == 1.0
    assert "identifier" not in best["features"], "the UN record gives no number to compare"
    assert best["contributions"]["name"] > 0.8
    assert best["contributions"]["birth_date"] > 0
    turned = suggestions(client, authority_a="US-OFAC", authority_b="UN-SC")
    assert pairs(turned) == [(listed["ofac"], listed["un"])]
    assert turned["items"][0]["score"] == best["score"]


@memory_only
def test_a_conflicting_passport_keeps_a_namesake_below_the_threshold(
    client: TestClient, listed: dict[str, str]
) -> None:
    everything = suggestions(client, authority_a="UN-SC", authority_b="US-OFAC", min_score=0)
    namesake = next(
        item for item in everything["items"] if listed["namesake"] in item["subject_ids"]
    )
    assert namesake["features"]["identifier"] == 0.0
    assert namesake["conflicting_identifiers"] == ["passport"]
    assert namesake["score"] < THRESHOLD
    assert namesake["contributions"]["identifier"] < -0.4


@memory_only
def test_pairs_join_different_authorities_and_compatible_kinds_only(
    client: TestClient, listed: dict[str, str]
) -> None:
    answer = suggestions(client, min_score=0)
    by_id = {value: key for key, value in listed.items()}
    for item in answer["items"]:
        left, right = (by_id[subject_id] for subject_id in item["subject_ids"])
        assert item["subject_a"]["authorities"] != item["subject_b"]["authorities"]
        assert "ofac company" not in (left, right), "a company is never paired with a person"
    assert {frozenset(pair) for pair in pairs(answer)} >= {
        frozenset((listed["un"], listed["ofac"])),
        frozenset((listed["namesake"], listed["ofac"])),
    }


@every_store
def test_the_answer_is_for_the_read_point_asked(
    client: TestClient, services: Services, clock: FakeClock
) -> None:
    ofac = register(client, "US-OFAC", "1", ["AZIZ, Tariq"], birth_dates=["1936-07-01"])
    before = services.reader.point().position
    clock.advance(days=1)
    un = register(client, "UN-SC", "IQi.025", ["TARIQ AZIZ"], birth_dates=["1936-07-01"])
    assert pairs(suggestions(client, known_at=f"position:{before}")) == []
    now = suggestions(client)
    assert pairs(now) == [tuple(sorted((ofac, un)))]
    assert now["position"] > before


@memory_only
@pytest.mark.usefixtures("listed")
def test_pages_follow_the_cursor_and_nothing_is_recorded(
    client: TestClient, services: Services
) -> None:
    stored = log_dump(services.ledger)
    whole = pairs(suggestions(client, min_score=0))
    assert len(whole) >= 2
    paged: list[tuple[str, str]] = []
    params: dict[str, Any] = {"min_score": 0, "limit": 1}
    while True:
        page = suggestions(client, **params)
        paged += pairs(page)
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert paged == whole
    assert log_dump(services.ledger) == stored


@memory_only
@pytest.mark.usefixtures("listed")
def test_bad_questions_are_refused(client: TestClient) -> None:
    same = client.get(PAGE, params={"authority_a": "UN-SC", "authority_b": "UN-SC"})
    assert same.status_code == 422
    assert same.headers["content-type"] == "application/problem+json"
    assert client.get(PAGE, params={"min_score": 2}).status_code == 422
    assert client.get(PAGE, params={"authority_a": "NOWHERE"}).status_code == 422
    assert client.get(PAGE, params={"cursor": "not-a-cursor"}).status_code == 422


@memory_only
@pytest.mark.usefixtures("listed")
def test_readers_may_ask_and_anonymous_callers_may_not(
    client: TestClient, services: Services
) -> None:
    reader = issue(services, "reader", "a reader")
    assert client.get(PAGE, headers=bearer(reader)).status_code == 200
    assert client.get(PAGE, headers={"Authorization": ""}).status_code == 401


@every_store
def test_decided_pairs_and_clustered_pairs_are_not_suggested_again(
    client: TestClient, listed: dict[str, str]
) -> None:
    un, ofac = listed["un"], listed["ofac"]
    best = suggestions(client, authority_a="UN-SC", authority_b="US-OFAC")["items"][0]
    assert best["subject_ids"] == [un, ofac]
    decision = {
        "subject_ids": best["subject_ids"],
        "reason": "same man",
        "evidence": best["evidence"],
    }
    linked = client.post("/v1/links", json=decision)
    assert linked.status_code == 201, linked.text
    recorded = client.get(f"/v1/links/{linked.json()['link_ids'][0]}").json()
    assert recorded["decisions"][0]["evidence"]["score"] == best["score"]
    remaining = pairs(suggestions(client, min_score=0))
    assert frozenset((un, ofac)) not in {frozenset(pair) for pair in remaining}

    namesake = listed["namesake"]
    rejection = {"subject_ids": [namesake, ofac], "reason": "another passport"}
    rejected = client.post("/v1/link-rejections", json=rejection)
    assert rejected.status_code == 201, rejected.text
    remaining = pairs(suggestions(client, min_score=0))
    assert frozenset((namesake, ofac)) not in {frozenset(pair) for pair in remaining}

    uk = register(client, "UK", "RUS0001", ["Dmitry Yurevich SOIN"], birth_dates=["1969-08-07"])
    found = {frozenset(pair) for pair in pairs(suggestions(client, min_score=0))}
    assert frozenset((uk, un)) in found and frozenset((uk, ofac)) in found
    joined = client.post("/v1/links", json={"subject_ids": [uk, ofac], "reason": "same man"})
    assert joined.status_code == 201, joined.text
    found = {frozenset(pair) for pair in pairs(suggestions(client, min_score=0))}
    assert frozenset((uk, un)) not in found, "UK, OFAC and UN are one cluster now"
