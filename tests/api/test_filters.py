"""A filter's value is taken literally: nothing in it can change what the query asks.

The views keep lists (programs, references, countries) joined by ``|`` and match them with
LIKE, so a value holding the separator, LIKE's wildcards or only what normalization drops
could otherwise split into two items, match every row, or match by pattern. Each filter of
``/v1/measures`` and ``/v1/subjects`` is tried with such values on every store.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.payloads import designation, subject

AS_OF = "2022-01-01"
# Programs as recorded: two apart, one holding the separator, and LIKE's own characters.
PROGRAMS = {
    "apart": ("A", "B"),
    "joined": ("A|B",),
    "percent": ("100%",),
    "underscore": ("X_Y",),
}


def record(client: TestClient, name: str, references: list[str], programs: tuple[str, ...]) -> str:
    body = subject(name=name)
    body["references"] = [{"authority": "US-OFAC", "id": ref} for ref in references]
    written = client.post("/v1/subjects", json=body)
    assert written.status_code == 201, written.text
    subject_id: str = written.json()["subject_ids"][0]
    designated = client.post(
        f"/v1/subjects/{subject_id}/designations", json=designation(programs=programs)
    )
    assert designated.status_code == 201, designated.text
    return subject_id


@pytest.fixture
def recorded(client: TestClient) -> dict[str, str]:
    """Subject ids by the key of their programs."""
    return {
        key: record(client, f"Subject {key}", [f"{index}0", f"{index}1"], programs)
        for index, (key, programs) in enumerate(PROGRAMS.items(), start=1)
    }


def found(client: TestClient, path: str, **params: str) -> set[str]:
    answer = client.get(path, params={"as_of": AS_OF, **params})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return {item["subject_id"] for item in items}


def refused(client: TestClient, path: str, **params: str) -> str:
    answer = client.get(path, params={"as_of": AS_OF, **params})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    detail: str = answer.json()["detail"]
    return detail


PROGRAM_CASES = {
    "A": {"apart"},
    "B": {"apart"},
    "A|B": {"joined"},
    "|A|": set(),
    "A|": set(),
    "100%": {"percent"},
    "%": set(),
    "1%": set(),
    "X_Y": {"underscore"},
    "X%Y": set(),
    "_": set(),
    "X!_Y": set(),
    "a": set(),  # exact means case too, on every store (SQLite's LIKE ignores ASCII case)
    "x_y": set(),
}
REFERENCE_CASES = {
    "US-OFAC:10": {"apart"},
    "US-OFAC:10|US-OFAC:11": set(),
    "US-OFAC:1%": set(),
    "US-OFAC:_0": set(),
    "US-OFAC:%|US-OFAC:%": set(),
}
EMPTY_NAMES = ["!!!", "%", "_", "|", " - ", "%_%", "«»", "|%|"]
EMPTY_COUNTRIES = ["%", "_", "|", "..."]


def test_a_program_filter_matches_only_that_exact_program(
    client: TestClient, recorded: dict[str, str]
) -> None:
    """On the measures and on the subjects (those with a measure under the program)."""
    wrong = [
        (path, program, sorted(matches))
        for path in ("/v1/measures", "/v1/subjects")
        for program, matches in PROGRAM_CASES.items()
        if found(client, path, program=program) != {recorded[key] for key in matches}
    ]
    assert wrong == []


def test_a_reference_filter_matches_only_that_exact_reference(
    client: TestClient, recorded: dict[str, str]
) -> None:
    wrong = [
        reference
        for reference, matches in REFERENCE_CASES.items()
        if found(client, "/v1/subjects", reference=reference) != {recorded[k] for k in matches}
    ]
    assert wrong == []


def test_a_search_with_nothing_to_match_is_refused_not_answered_with_everyone(
    client: TestClient, recorded: dict[str, str]
) -> None:
    assert recorded
    for name in EMPTY_NAMES:
        detail = refused(client, "/v1/subjects", name=name)
        assert "the name" in detail and "no letter or digit" in detail, name
    for country in EMPTY_COUNTRIES:
        assert "the country" in refused(client, "/v1/subjects", country=country), country


def test_a_name_search_still_ignores_punctuation_case_and_accents(
    client: TestClient, recorded: dict[str, str]
) -> None:
    assert found(client, "/v1/subjects", name="sübject, JOINED!") == {recorded["joined"]}
    assert found(client, "/v1/subjects", name="%joined%") == {recorded["joined"]}
    assert found(client, "/v1/subjects", name="Subject") == set(recorded.values())
