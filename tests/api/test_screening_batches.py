"""Screening batches over HTTP: a CSV file or JSON Lines streamed back a line per row, each
batch one receipt, up to 100,000 rows; a bad batch refused whole, with no receipt kept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.bootstrap import Services
from tests.support.screening import ASKED, PROBLEM, SOIN, receipts_kept


def post_batch(client: TestClient, body: str, media_type: str, query: str = "") -> Any:
    return client.post(
        f"/v1/screenings{query}", content=body.encode(), headers={"Content-Type": media_type}
    )


def json_lines(answer: Any) -> list[dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in answer.text.splitlines()]


@pytest.mark.usefixtures("founded")
def test_a_csv_batch_streams_a_result_per_row(client: TestClient) -> None:
    body = (
        "name,kind,birth_date,country,identifier\n"
        f"{ASKED},person,1969-08-07,Russia,\n"
        "Nobody At All Here,,,,\n"
        '"SOIN, Dmitriy",person,,,\n'
    )
    header, *results = json_lines(post_batch(client, body, "text/csv", "?as_of=2021-12-11"))
    assert header["screening_id"].startswith("scr_")
    assert header["read_point"]["as_of"].startswith("2021-12-11")
    assert [r["query"]["name"] for r in results] == [ASKED, "Nobody At All Here", "SOIN, Dmitriy"]
    assert results[0]["hits"][0]["primary_name"] == SOIN
    assert results[1]["hits"] == []
    assert results[0]["query"]["birth_dates"] == ["1969-08-07"]
    kept = client.get(f"/v1/screenings/{header['screening_id']}").json()
    assert kept["results"] == results
    assert len(kept["request"]["queries"]) == 3


def test_a_json_lines_batch_streams_a_result_per_row(client: TestClient, founded: Services) -> None:
    lines = [{"name": ASKED}, {"name": "Nobody At All Here", "kind": "organization"}]
    body = "\n".join(json.dumps(line) for line in lines) + "\n\n"
    query = "?as_of=2021-12-09&threshold=0.5&limit=2"
    header, *early = json_lines(post_batch(client, body, "application/x-ndjson", query))
    assert (header["threshold"], header["limit"]) == (0.5, 2)
    assert [r["hits"] for r in early] == [[], []]
    header, *results = json_lines(post_batch(client, body, "application/x-ndjson"))
    assert results[0]["hits"][0]["primary_name"] == SOIN
    assert len(results) == 2
    assert receipts_kept(founded) == 2


@pytest.mark.slow
def test_a_batch_of_100_000_rows_is_screened(client: TestClient, founded: Services) -> None:
    """The most one batch may hold, of names as long as real ones: several megabytes, past
    the limit of other bodies and within the limit of files to screen."""
    body = "name\n" + "".join(
        f"Subject Number {number} Of The Screening Batch\n" for number in range(100_000)
    )
    assert founded.settings.max_body_bytes < len(body) < founded.settings.max_batch_bytes
    answer = post_batch(client, body, "text/csv")
    _, *results = json_lines(answer)
    assert len(results) == 100_000
    assert results[-1]["query"]["name"] == "Subject Number 99999 Of The Screening Batch"


# Bad batches ------------------------------------------------------------------------------

BAD_BATCHES = {
    "100,001 rows": ("text/csv", "name\n" + "a\n" * 100_001, "more than 100000 rows"),
    "no name column": ("text/csv", "nom,kind\nSoin,person\n", "'name' column"),
    "bad quoting": ("text/csv", 'name,kind\n"Soin" x,person\n', "not valid CSV"),
    "an open quote": ("text/csv", 'name\n"Soin\n', "not valid CSV"),
    "a short row": ("text/csv", "name,kind\nSoin\n", "cells"),
    "an unknown column": ("text/csv", "name,dob\nSoin,1969\n", "unknown column"),
    "an empty name": ("text/csv", "name,kind\n,person\n", "name or at least one identifier"),
    "only a header": ("text/csv", "name\n", "no rows"),
    "a bad JSON line": ("application/x-ndjson", '{"name": "a"}\n{"name": \n', "line 2"),
    "a JSON line not an object": ("application/x-ndjson", '{"name": "a"}\n["a"]\n', "line 2"),
    "a long name on a line": ("application/x-ndjson", json.dumps({"name": "z" * 600}), "line 1"),
    "a control character": ("text/csv", "name\nSo\x00in\n", "line 2"),
}


@pytest.mark.parametrize("case", sorted(BAD_BATCHES))
def test_a_bad_batch_is_refused_whole_and_nothing_kept(
    client: TestClient, services: Services, case: str
) -> None:
    media_type, body, said = BAD_BATCHES[case]
    answer = post_batch(client, body, media_type)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert said in answer.json()["detail"]
    assert receipts_kept(services) == 0
