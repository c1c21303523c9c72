"""The pages on each store: search, a subject's page, the list as of a date, the difference
between two dates with its downloads, and the operator's forms."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlparse
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.settings import Settings
from tests.support.clock import FakeClock
from tests.ui.conftest import (
    MEASURE_FORM,
    SOIN,
    Browser,
    csrf_of,
    load_example,
    log_of,
    sign_in,
)

BAND = re.compile(r'<g class="band[^"]*" data-measure="([^"]+)"')


def check_the_pages(client: TestClient) -> None:
    """Search, a subject's page, the list on two days and the difference between them, as
    a signed-in admin sees them on the founding example."""
    found = client.get("/ui/search", params={"q": "soyin"})
    assert found.status_code == 200
    assert re.search(r'id="hits".*SOIN, Dmitriy Yurevich', found.text, re.S)
    subject = client.get(f"/ui/subjects/{SOIN}")
    assert subject.status_code == 200
    assert BAND.findall(subject.text) == [f"{SOIN}.1"]
    listed = client.get("/ui/list", params={"as_of": "2021-12-11"})
    assert 'id="count">29 measure(s) in force' in listed.text
    empty = client.get("/ui/list", params={"as_of": "2021-12-09"})
    assert 'id="count">0 measure(s) in force' in empty.text
    changes = client.get(
        "/ui/changes",
        params={
            "since": "2021-12-09",
            "until": "2021-12-11",
            "authority": "US-OFAC",
            "kind": "designation",
        },
    )
    assert '<span class="added">25 added</span>' in changes.text


def test_the_pages_answer(signed_in: Callable[[str], TestClient]) -> None:
    check_the_pages(signed_in("admin"))


@pytest.fixture
def stored_services(database_url: str, clock: FakeClock) -> Iterator[Services]:
    built = bootstrap(Settings(database_url=database_url), clock=clock)
    load_example(built)
    try:
        yield built
    finally:
        built.close()


@pytest.mark.slow
@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"])
def test_the_pages_answer_on_the_file_stores(stored_services: Services) -> None:
    """The same pages on the stores that keep their data, in an app that runs its lifespan
    as ``ledger serve`` does (the other tests here share one app on memory)."""
    with TestClient(create_app(services=stored_services)) as client:
        sign_in(client, stored_services, "admin")
        check_the_pages(client)


def test_every_page_url_carries_its_read_point(browser: Browser, ui_services: Services) -> None:
    client = browser()
    sign_in(client, ui_services, "reader")
    for path in (f"/ui/subjects/{SOIN}", "/ui/search?q=soin", "/ui/list"):
        answer = client.get(path)
        query = parse_qs(urlparse(str(answer.url)).query)
        assert query["known_at"] == [f"position:{ui_services.ledger.last_position()}"], path
        assert query["as_of"], path
        assert f"log position {ui_services.ledger.last_position()}" in answer.text
    # A later write changes nothing on a page sent earlier.
    sent = str(client.get(f"/ui/subjects/{SOIN}").url)
    operator = browser()
    sign_in(operator, ui_services, "operator")
    form = operator.get(f"/ui/subjects/{SOIN}/designate").text
    operator.post(
        f"/ui/subjects/{SOIN}/designate", data={**MEASURE_FORM, "csrf_token": csrf_of(form)}
    )
    assert BAND.findall(client.get(sent).text) == [f"{SOIN}.1"]
    assert len(BAND.findall(client.get(f"/ui/subjects/{SOIN}").text)) == 2


def test_the_list_and_the_difference_download_as_csv_and_json(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("reader")
    rows = list(csv.DictReader(io.StringIO(client.get("/ui/list.csv?as_of=2021-12-11").text)))
    assert len(rows) == 29
    assert any(
        row["name"] == "SOIN, Dmitriy Yurevich" and row["programs"] == "DPRK3" for row in rows
    )
    document = client.get("/ui/list.json?as_of=2021-12-11&authority=US-OFAC").json()
    assert document["as_of"] == "2021-12-11T00:00:00Z"
    assert {item["authority"] for item in document["items"]} == {"US-OFAC"}
    asked = "since=2021-12-09&until=2021-12-11&authority=US-OFAC&kind=designation"
    changes = client.get(f"/ui/changes.json?{asked}").json()
    assert [item["change"] for item in changes["items"]] == ["added"] * 25
    answer = client.get(f"/ui/changes.csv?{asked}")
    assert answer.headers["content-disposition"] == 'attachment; filename="changes.csv"'
    assert len(list(csv.DictReader(io.StringIO(answer.text)))) == 25


def test_a_designation_recorded_through_the_form_shows_on_the_subjects_page(
    browser: Browser, ui_services: Services
) -> None:
    client = browser()
    sign_in(client, ui_services, "operator")
    form = client.get(f"/ui/subjects/{SOIN}/designate")
    recorded = client.post(
        f"/ui/subjects/{SOIN}/designate", data={**MEASURE_FORM, "csrf_token": csrf_of(form.text)}
    )
    assert recorded.url.path == f"/ui/subjects/{SOIN}"
    assert "UK sanctions notice 2022/1" in recorded.text
    assert BAND.findall(recorded.text) == [f"{SOIN}.1", f"{SOIN}.2"]
    history = ui_services.reader.history(UUID(SOIN))["events"]
    assert history[-1]["recorded_by"]["name"] == "ui operator"
    assert history[-1]["data"]["measure_id"] == f"{SOIN}.2"


def test_a_rescission_shows_as_a_later_row_with_a_shorter_band(
    browser: Browser, ui_services: Services
) -> None:
    client = browser()
    sign_in(client, ui_services, "admin")
    path = f"/ui/measures/{SOIN}.1/rescind"
    form = client.get(path)
    answer = client.post(
        path,
        data={
            "effective_at": "2023-01-01",
            "source_authority": "US-OFAC",
            "source_reference": "OFAC delisting",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert answer.status_code == 200
    rects = re.findall(
        r'<rect class="([^"]+)" x="([^"]+)" y="([^"]+)" width="([^"]+)"', answer.text
    )
    assert [r[0] for r in rects] == ["band-in-force open", "band-rescinded"]
    first, later = rects
    assert float(later[2]) > float(first[2])  # recorded later: drawn lower
    assert float(later[3]) < float(first[3])  # in force for less time: shorter


def test_a_bad_form_answer_is_shown_by_its_field_and_records_nothing(
    browser: Browser, ui_services: Services
) -> None:
    client = browser()
    sign_in(client, ui_services, "operator")
    token = csrf_of(client.get(f"/ui/subjects/{SOIN}/visa-ban").text)
    before = log_of(ui_services)
    cases = {
        # The API's own validation, shown by the field it names.
        "source_reference": {**MEASURE_FORM, "source_reference": ""},
        "effective_from": {**MEASURE_FORM, "effective_from": "10/12/2021"},
        # The ledger's refusal of an implausible date, by the date's field.
        "effective_from ": {**MEASURE_FORM, "effective_from": "1930-01-01"},
    }
    for field, data in cases.items():
        answer = client.post(f"/ui/subjects/{SOIN}/visa-ban", data={**data, "csrf_token": token})
        assert answer.status_code == 422, field
        assert re.search(rf'id="field-{field.strip()}">.*?class="field-error"', answer.text, re.S)
    # A measure in force twice over: the ledger's 409, at the top of the form.
    designate = f"/ui/subjects/{SOIN}/designate"
    twice = {
        **MEASURE_FORM,
        "authority": "US-OFAC",
        "programs": "DPRK3",
        "effective_from": "2021-12-10",
    }
    answer = client.post(designate, data={**twice, "csrf_token": token})
    assert answer.status_code == 409
    assert 'id="form-problem"' in answer.text and f"{SOIN}.1" in answer.text
    assert log_of(ui_services) == before


def test_a_voided_measure_stops_at_its_voiding_and_a_stale_form_is_refused(
    browser: Browser, ui_services: Services
) -> None:
    first, second = browser(), browser()
    sign_in(first, ui_services, "operator")
    sign_in(second, ui_services, "operator")
    path = f"/ui/events/{SOIN}@2/void"
    stale = second.get(path).text  # read at the subject's version 2
    voided = first.post(
        path, data={"reason": "recorded twice", "csrf_token": csrf_of(first.get(path).text)}
    )
    assert voided.url.path == f"/ui/subjects/{SOIN}"
    assert re.search(r'<g class="band voided" data-measure="[^"]+\.1"', voided.text)
    assert re.findall(r'<rect class="([^"]+)"', voided.text) == ["band-voided open"]
    before = log_of(ui_services)
    version = re.search(r'name="expected_version" value="(\d+)"', stale)
    assert version is not None and version[1] == "2"
    refused = second.post(
        path, data={"reason": "again", "csrf_token": csrf_of(stale), "expected_version": "2"}
    )
    assert refused.status_code == 412
    assert 'id="form-problem"' in refused.text
    assert log_of(ui_services) == before


def test_a_page_for_nothing_says_so(signed_in: Callable[[str], TestClient]) -> None:
    client = signed_in("reader")
    assert client.get("/ui/subjects/not-a-subject").status_code == 404
    missing = client.get("/ui/subjects/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and "no subject" in missing.text
    assert client.get("/ui/list?as_of=yesterday").status_code == 422
