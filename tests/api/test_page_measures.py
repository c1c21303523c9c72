"""A page of subjects carries each subject's measures in force, whichever way the store reads
them: with the page in one statement where it joins their text in order (PostgreSQL), or by a
statement of their own (SQLite). Either way, each item's measures are those the views hold in
force at the page's point, in measure id order, as read apart."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from application.bootstrap import Services
from application.views.conditions import SubjectFilter
from application.views.rows import stamp
from tests.api import payloads


def recorded(client: TestClient) -> list[str]:
    """Three subjects: one with twelve measures (measure ids of one and two digits, so that
    text order is not number order), one of them rescinded and one not yet begun; one with
    a single measure; one with none."""
    ids = []
    for number, name in enumerate(("PETROV, Ivan", "PETROVA, Anna", "PETROVSKY, Oleg")):
        answer = client.post("/v1/subjects", json=payloads.subject(name, f"R-{number}"))
        ids.append(answer.json()["subject_ids"][0])
    for month in range(1, 13):
        designation = payloads.designation(f"2022-{month:02d}-01", (f"P{month}",))
        client.post(f"/v1/subjects/{ids[0]}/designations", json=designation)
    client.post(
        f"/v1/measures/{ids[0]}.3/rescission",
        json={"effective_at": "2022-04-15", "source": payloads.OFAC},
    )
    client.post(f"/v1/subjects/{ids[1]}/designations", json=payloads.designation())
    return ids


def page(services: Services, as_of: str, after: str | None = None) -> list[dict[str, Any]]:
    reader = services.reader
    point = reader.point(datetime.fromisoformat(as_of), None, None)
    texts = reader.subject_texts(point, SubjectFilter(name="petrov"), after, 10).items
    return [json.loads(text) for text in texts]


def read_apart(services: Services, ids: list[str], as_of: str) -> dict[str, list[Any]]:
    reader = services.reader
    position = reader.point(None, None, None).position
    texts = reader.queries.measure_texts_of(ids, stamp(datetime.fromisoformat(as_of)), position)
    return {key: [json.loads(text) for text in found] for key, found in texts.items()}


def test_each_item_holds_its_measures_in_force_in_id_order(
    client: TestClient, services: Services
) -> None:
    ids = recorded(client)
    for as_of in ("2021-12-31", "2022-06-15", "2023-01-01"):
        items = page(services, f"{as_of}T12:00:00+00:00")
        assert sorted(ids) == [item["subject_id"] for item in items]
        apart = read_apart(services, ids, f"{as_of}T12:00:00+00:00")
        for item in items:
            measures = item["measures"]
            assert measures == apart[item["subject_id"]]
            assert [m["measure_id"] for m in measures] == sorted(m["measure_id"] for m in measures)
    late = {
        item["subject_id"]: item["measures"] for item in page(services, "2022-06-15T12:00:00+00:00")
    }
    # Six begun by mid-June, the third rescinded in April: five in force.
    assert [m["programs"] for m in late[ids[0]]] == [["P1"], ["P2"], ["P4"], ["P5"], ["P6"]]
    assert len(late[ids[1]]) == 1
    assert late[ids[2]] == []


def test_a_later_page_carries_the_measures_of_its_own_subjects(
    client: TestClient, services: Services
) -> None:
    ids = sorted(recorded(client))
    items = page(services, "2023-01-01T12:00:00+00:00", after=ids[0])
    assert [item["subject_id"] for item in items] == ids[1:]
    apart = read_apart(services, ids[1:], "2023-01-01T12:00:00+00:00")
    assert {item["subject_id"]: item["measures"] for item in items} == apart
