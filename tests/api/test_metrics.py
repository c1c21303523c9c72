"""``GET /metrics``: Prometheus's text format, with the families an operator watches."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.commands import (
    Citation,
    ImposeMeasure,
    RecordAction,
    RecordPublication,
    RegisterSubject,
)
from application.settings import Settings
from domain.values import (
    Actor,
    Authority,
    MeasureKind,
    Name,
    Profile,
    Reference,
    Source,
    SubjectKind,
)
from tests.api.payloads import subject
from tests.support.keys import bearer, issue

FAMILIES = {
    "ledger_http_request_duration_seconds",
    "ledger_http_requests",
    "ledger_refusals",
    "ledger_writes_recorded",
    "ledger_events_recorded",
    "ledger_projection_lag_events",
    "ledger_projection_lag_seconds",
    "ledger_log_position",
    "ledger_views_position",
    "ledger_imports",
    "ledger_import_events",
}


def scrape(client: TestClient) -> dict[str, list[Sample]]:
    answer = client.get("/metrics", headers={"Authorization": ""})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(answer.text)}


def value(samples: list[Sample], name: str, **labels: str) -> float:
    return sum(s.value for s in samples if s.name == name and labels.items() <= s.labels.items())


@pytest.mark.parametrize("store_kind", ["memory", "sqlite"], indirect=True)
def test_metrics_hold_the_operators_families(client: TestClient) -> None:
    subject_id = client.post("/v1/subjects", json=subject()).json()["subject_ids"][0]
    client.get(f"/v1/subjects/{subject_id}")
    client.get(f"/v1/subjects/{uuid.uuid4()}")
    client.get("/v1/measures", headers={"Authorization": "Bearer nonsense"})
    families = scrape(client)
    assert families.keys() >= FAMILIES
    requests = families["ledger_http_requests"]
    template = "/v1/subjects/{subject_id}"
    assert value(requests, "ledger_http_requests_total", route=template, status="200") == 1
    assert value(requests, "ledger_http_requests_total", route=template, status="404") == 1
    assert not [s for s in requests if subject_id in str(s.labels)], "raw paths as labels"
    latency = families["ledger_http_request_duration_seconds"]
    assert value(latency, "ledger_http_request_duration_seconds_count", route=template) == 2
    refusals = families["ledger_refusals"]
    assert value(refusals, "ledger_refusals_total", status="404", problem="not-found") == 1
    assert value(refusals, "ledger_refusals_total", status="401", problem="unauthorized") == 1
    assert value(families["ledger_writes_recorded"], "ledger_writes_recorded_total") == 1
    assert value(families["ledger_events_recorded"], "ledger_events_recorded_total") >= 1
    assert value(families["ledger_projection_lag_events"], "ledger_projection_lag_events") >= 0


@pytest.mark.parametrize("store_kind", ["memory", "sqlite", "postgres"], indirect=True)
def test_imports_are_counted_by_authority_from_the_log(
    client: TestClient, services: Services
) -> None:
    """Counted from the log, not by the process that imported: ``ledger import`` runs apart."""
    client.post("/v1/subjects", json=subject(reference="1"))
    before = services.ledger.last_position()
    cited = Citation(source=Source(Authority.US_OFAC, "sdn.csv"))
    for n, observed in enumerate(("2021-12-10T18:50:16+00:00", "2021-12-11T18:50:16+00:00")):
        key = f"s{n}"
        action = RecordAction(
            (
                RegisterSubject(
                    kind=SubjectKind.ORGANIZATION,
                    profile=Profile((Name(f"COMPANY {n}"),)),
                    references=(Reference(Authority.US_OFAC, str(100 + n)),),
                    citation=cited,
                    key=key,
                ),
                ImposeMeasure(
                    subject=key,
                    kind=MeasureKind.DESIGNATION,
                    authority=Authority.US_OFAC,
                    programs=("SDGT",),
                    effective_from=datetime(2021, 12, 10, tzinfo=UTC),
                    citation=cited,
                ),
                RecordPublication(
                    Authority.US_OFAC,
                    "sdn.csv",
                    datetime.fromisoformat(observed),
                    f"{n:064x}",
                    (1, 0, 0, 0),
                ),
            )
        )
        services.ledger.execute(action, Actor("import", "ofac import"))
    families = scrape(client)
    imports = families["ledger_imports"]
    assert value(imports, "ledger_imports_total", authority="US-OFAC") == 2
    assert value(imports, "ledger_imports_total", authority="UN-SC") == 0
    events = families["ledger_import_events"]
    # Every event after the first write was recorded by the two imports, marks included.
    recorded = services.ledger.last_position() - before
    assert value(events, "ledger_import_events_total", authority="US-OFAC") == recorded


@pytest.fixture
def admin_only(database_url: str) -> Iterator[tuple[TestClient, str]]:
    services = bootstrap(Settings(database_url=database_url, metrics_access="admin"))
    try:
        with TestClient(create_app(services=services)) as client:
            yield client, issue(services, "admin", "scraper")
    finally:
        services.close()


@pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
def test_metrics_may_be_kept_for_admins(admin_only: tuple[TestClient, str]) -> None:
    client, admin = admin_only
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=bearer(admin)).status_code == 200
