"""Reads made together on one connection of the views' store (``ViewStore.one_connection``):
a name search's page (its point, then the page with its trigram look-up and measures) takes
one connection from the PostgreSQL pool rather than one per statement, answers as before,
and never lends that connection to another thread."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.bootstrap import Services
from application.views.conditions import SubjectFilter
from tests.api import payloads


def recorded(client: TestClient) -> None:
    for number, name in enumerate(("PETROV, Ivan", "PETROVA, Anna", "SIDOROV, Oleg")):
        subject = client.post("/v1/subjects", json=payloads.subject(name, f"R-{number}"))
        subject_id = subject.json()["subject_ids"][0]
        client.post(f"/v1/subjects/{subject_id}/designations", json=payloads.designation())


def search(services: Services, name: str) -> list[str]:
    reader = services.reader
    with reader.one_connection():
        point = reader.point(None, None, None)
        return reader.subject_texts(point, SubjectFilter(name=name), None, 10).items


def test_a_page_read_on_one_connection_answers_as_the_route(
    client: TestClient, services: Services
) -> None:
    recorded(client)
    for name in ("petrov", "SIDOROV", "nobody"):
        texts = search(services, name)
        route = client.get("/v1/subjects", params={"name": name}).json()["items"]
        assert [json.loads(text) for text in texts] == route
    assert len(search(services, "petrov")) == 2


@pytest.mark.parametrize("store_kind", ["postgres"], indirect=True)
def test_a_name_search_takes_one_connection_from_the_pool(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded(client)
    search(services, "petrov")  # the views catch up with the log first
    datastore: Any = services.reader.views.datastore  # type: ignore[attr-defined]
    taken: list[str] = []
    get_connection = datastore.get_connection

    def counted(*args: Any, **kwargs: Any) -> Any:
        taken.append(threading.current_thread().name)
        return get_connection(*args, **kwargs)

    monkeypatch.setattr(datastore, "get_connection", counted)
    # Only this thread's are counted: the app's own threads (its projector, its deliveries)
    # may take a connection of the same pool meanwhile.
    assert len(search(services, "petrov")) == 2
    assert taken.count("MainThread") == 1
    taken.clear()
    reader = services.reader
    point = reader.point(None, None, None)
    reader.subject_texts(point, SubjectFilter(name="petrov"), None, 10)
    assert taken.count("MainThread") == 2  # the point, then the page with its look-up and measures

    # Held by one thread, the connection is not another thread's: that one takes its own.
    taken.clear()
    found: list[int] = []
    with reader.one_connection():
        other = threading.Thread(
            target=lambda: found.append(len(search(services, "sidorov"))), name="other"
        )
        other.start()
        other.join()
        reader.subject_texts(point, SubjectFilter(name="petrov"), None, 10)
    assert found == [1]
    assert sorted(name for name in taken if name in ("MainThread", "other")) == [
        "MainThread",
        "other",
    ]
