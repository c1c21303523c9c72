"""Every lane stands in the app as built (``api.main``): a plain request of each kind is
answered by its lane, not by the route behind it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.lanes import PageLane
from api.measures_lane import MeasuresLane
from api.subject_lane import SubjectLane
from api.subjects_lane import SubjectsLane
from api.write_lane import WriteLane
from application.bootstrap import Services
from tests.api import payloads


def test_each_plain_request_is_answered_by_its_lane(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered: list[str] = []

    def spy(lane: type[Any], method: str) -> None:
        original = getattr(lane, method)

        async def answering(self: Any, *args: Any) -> Any:
            found = await original(self, *args)
            if found is not None:
                answered.append(type(self).__name__)
            return found

        monkeypatch.setattr(lane, method, answering)

    for lane, method in (
        (SubjectLane, "_answer"),
        (PageLane, "_answer"),
        (WriteLane, "_answer"),
    ):
        spy(lane, method)
    client.get("/v1/keys")  # through the app: the key is in the process's cache from here
    assert answered == []
    created = client.post("/v1/subjects", json=payloads.subject())
    subject = created.json()["subject_ids"][0]
    client.post(f"/v1/subjects/{subject}/designations", json=payloads.designation())
    services.reader.point()  # the views reach the end of the log: the lanes read "now"
    assert client.get(f"/v1/subjects/{subject}").status_code == 200
    assert client.get("/v1/measures", params={"as_of": "2022-01-01"}).status_code == 200
    assert client.get("/v1/subjects", params={"name": "SOIN"}).status_code == 200
    assert answered == [
        WriteLane.__name__,
        WriteLane.__name__,
        SubjectLane.__name__,
        MeasuresLane.__name__,
        SubjectsLane.__name__,
    ]
