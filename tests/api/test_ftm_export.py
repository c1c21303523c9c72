"""``GET /v1/exports/ftm``: the ledger at a read point as FollowTheMoney entities.

On every store, the founding example's export loads with ``followthemoney`` without one
invalid property, and every Sanction names an entity of the same export. The read point
decides what is in it, and linked subjects share their referents (links recorded, or a
cluster mapping given): these read the same views through the same code, so they run in
memory only, to keep the suite quick.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import cli
from application.bootstrap import Services, bootstrap
from application.commands import Citation, LinkSubjects, RescindMeasure
from application.demo.founding_example import demo_subject_id, load_founding_example
from application.exports.ftm import FtmExport, referents_of
from application.settings import Settings
from domain.values import Actor, Authority, Source
from tests.support.ftm import Entity, checked_export, parsed_lines
from tests.support.keys import bearer, issue

OPERATOR = Actor("k1", "operator")
SOIN = str(demo_subject_id("ofac-34021"))
JUSTO = str(demo_subject_id("ofac-34020"))
SENSETIME = "a2bf7b5c-9760-53af-89d0-d971f70659b2"


@pytest.fixture
def example(client: TestClient, services: Services) -> TestClient:
    load_founding_example(services.ledger, OPERATOR)
    return client


def exported(client: TestClient, **params: str) -> list[Entity]:
    response = client.get("/v1/exports/ftm", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    return parsed_lines(response.text)


def sanctions_of(by_id: dict[str, Entity], subject_id: str) -> list[Entity]:
    return [
        e
        for e in by_id.values()
        if e["schema"] == "Sanction" and e["properties"]["entity"] == [f"ledger-{subject_id}"]
    ]


def test_the_founding_example_loads_with_followthemoney(example: TestClient) -> None:
    by_id = checked_export(exported(example, as_of="2022-01-01"))

    schemata = [e["schema"] for e in by_id.values()]
    assert schemata.count("Sanction") == 29
    assert {"Person", "Organization", "Company", "Passport", "Identification"} <= set(schemata)
    soin = by_id[f"ledger-{SOIN}"]
    assert soin["schema"] == "Person" and soin["target"] is True
    assert soin["properties"]["name"] == ["SOIN, Dmitriy Yurevich"]
    assert "SOYIN, Dmitriy Yuryevich" in soin["properties"]["alias"]
    assert soin["properties"]["birthDate"] == ["1969-08-07"]
    assert soin["properties"]["nationality"] == ["ru"]
    assert soin["properties"]["topics"] == ["sanction"]
    [sanction] = sanctions_of(by_id, SOIN)
    assert sanction["id"] == f"ledger-{SOIN}.1"
    properties = sanction["properties"]
    assert properties["program"] == ["DPRK3"]
    assert properties["authorityId"] == ["34021"]
    assert properties["startDate"] == ["2021-12-10"]
    assert properties["country"] == ["us"]
    assert properties["sourceUrl"] == ["https://ofac.treasury.gov/recent-actions/20211210"]
    assert "endDate" not in properties
    sensetime = by_id[f"ledger-{SENSETIME}"]
    assert sensetime["schema"] == "Company"
    assert sensetime["properties"]["topics"] == ["invest.ban"]
    assert "referents" not in soin  # no links recorded


@pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
def test_the_read_point_decides_what_is_exported(example: TestClient, services: Services) -> None:
    assert not [e for e in exported(example, as_of="2021-12-09") if e["schema"] == "Sanction"]
    before = services.ledger.last_position()
    services.ledger.execute(
        RescindMeasure(
            f"{SOIN}.1",
            datetime(2023, 5, 1, tzinfo=UTC),
            Citation(Source(Authority.US_OFAC, "OFAC Recent Actions"), reason="delisted"),
        ),
        OPERATOR,
    )

    [sanction] = sanctions_of(checked_export(exported(example, as_of="2022-01-01")), SOIN)
    assert sanction["properties"]["endDate"] == ["2023-05-01"]
    assert not sanctions_of(checked_export(exported(example, as_of="2023-05-02")), SOIN)
    then = checked_export(exported(example, as_of="2022-01-01", known_at=f"position:{before}"))
    [sanction] = sanctions_of(then, SOIN)
    assert "endDate" not in sanction["properties"]


@pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
def test_the_answer_names_its_read_point(example: TestClient) -> None:
    response = example.get("/v1/exports/ftm", params={"as_of": "2022-01-01"})
    assert response.headers["x-ledger-as-of"] == "2022-01-01T00:00:00Z"
    assert response.headers["x-ledger-known-at"] == "now"
    assert int(response.headers["x-ledger-position"]) > 0


@pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
def test_a_bad_read_point_is_a_problem_and_a_key_is_needed(
    example: TestClient, services: Services
) -> None:
    response = example.get("/v1/exports/ftm", params={"known_at": "position:x"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert example.get("/v1/exports/ftm", headers={"Authorization": ""}).status_code == 401
    reader = bearer(issue(services, "reader", "ftm reader"))
    assert example.get("/v1/exports/ftm", headers=reader).status_code == 200


@pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
@pytest.mark.usefixtures("example")
def test_linked_subjects_share_their_referents(services: Services) -> None:
    cluster = f"cl_{min(SOIN, JUSTO)}"
    export = FtmExport(services.reader, lambda _point: {SOIN: cluster, JUSTO: cluster})
    point = services.reader.point(datetime(2022, 1, 1, tzinfo=UTC))

    by_id = checked_export(list(export.entities(point)))

    soin, justo = by_id[f"ledger-{SOIN}"], by_id[f"ledger-{JUSTO}"]
    assert soin["referents"] == justo["referents"]
    assert {f"ledger-{SOIN}", f"ledger-{JUSTO}"} <= set(soin["referents"])
    assert all("referents" not in e for i, e in by_id.items() if i not in (soin["id"], justo["id"]))


def test_a_subject_alone_in_its_cluster_has_no_referents() -> None:
    found: dict[str, Any] = referents_of({"a": "a", "b": "cl_b", "c": "cl_b"})
    assert found == {"b": ["ledger-b", "ledger-c", "ledger-cl_b"], "c": found["b"]}


@pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
@pytest.mark.usefixtures("example")
def test_pages_stream_the_same_entities(services: Services) -> None:
    point = services.reader.point(datetime(2022, 1, 1, tzinfo=UTC))
    whole = list(FtmExport(services.reader).entities(point))
    paged = list(FtmExport(services.reader, page_size=4).entities(point))
    assert paged == whole


def test_the_command_writes_the_same_export(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/ledger.db"
    services = bootstrap(Settings(database_url=database))
    try:
        load_founding_example(services.ledger, OPERATOR)
    finally:
        services.close()
    target = tmp_path / "ledger.ftm.json"

    result = CliRunner().invoke(
        cli.app,
        ["export", str(target), "--format", "ftm", "--as-of", "2022-01-01", "--database", database],
    )

    assert result.exit_code == 0, result.output
    assert "Exported 71 FollowTheMoney entities" in result.stderr
    by_id = checked_export(parsed_lines(target.read_text()))
    assert len(sanctions_of(by_id, SOIN)) == 1
    assert [e["schema"] for e in by_id.values()].count("Sanction") == 29
    proofs = ["export", str(tmp_path / "events.jsonl"), "--as-of", "2022-01-01"]
    refused = CliRunner().invoke(cli.app, [*proofs, "--database", database])
    assert refused.exit_code == 2 and "only with --format ftm" in refused.output


@pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
def test_subjects_the_ledger_links_share_their_referents(
    example: TestClient, services: Services
) -> None:
    before = services.ledger.last_position()
    services.ledger.execute(
        LinkSubjects(
            (UUID(SOIN), UUID(JUSTO)),
            effective_from=datetime(2021, 12, 10, tzinfo=UTC),
            citation=Citation(reason="the provost and his institute, for this test"),
        ),
        OPERATOR,
    )

    by_id = checked_export(exported(example, as_of="2022-01-01"))
    soin, justo = by_id[f"ledger-{SOIN}"], by_id[f"ledger-{JUSTO}"]
    assert soin["referents"] == justo["referents"]
    assert {soin["id"], justo["id"]} <= set(soin["referents"])
    assert sum("referents" in e for e in by_id.values()) == 2
    then = exported(example, as_of="2022-01-01", known_at=f"position:{before}")
    assert not [e for e in then if "referents" in e]
