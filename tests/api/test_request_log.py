"""The app's outermost layer: every request gets an id, is counted and has its access line,
an unexpected failure included."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from typing import Any

import pytest
import structlog
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.access_log import _known_words, _query_params
from api.auth import PUBLIC
from api.logging import configure_logging, request_lines
from api.main import create_app
from api.request_id import HEADER, new_request_id
from application.bootstrap import Services
from tests.support.keys import bearer

HEX_ID = re.compile(r"[0-9a-f]{32}")


def test_new_request_ids_are_distinct_across_threads() -> None:
    made: list[str] = []

    def make() -> None:
        made.extend(new_request_id() for _ in range(2000))

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == len(made) == 8000
    assert all(HEX_ID.fullmatch(made_id) for made_id in made)


def _access_lines(output: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "request"]


@pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
def test_an_unexpected_failure_is_answered_counted_and_logged(
    services: Services, admin_token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info", "json")
    app = create_app(services=services)

    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/v1/broken", broken, methods=["GET"], dependencies=[PUBLIC])
    with TestClient(app, headers=bearer(admin_token), raise_server_exceptions=False) as client:
        answer = client.get("/v1/broken")
        assert answer.status_code == 500
        request_id = answer.headers[HEADER]
        assert answer.json()["request_id"] == request_id
        scraped = client.get("/metrics").text
    lines = [line for line in _access_lines(capsys.readouterr().err) if line["status"] == 500]
    assert [(line["path"], line["request_id"]) for line in lines] == [("/v1/broken", request_id)]
    requests = next(
        family
        for family in text_string_to_metric_families(scraped)
        if family.name == "ledger_http_requests"
    )
    assert [
        sample.value
        for sample in requests.samples
        if sample.labels.get("route") == "/v1/broken" and sample.labels.get("status") == "500"
    ] == [1]


def test_request_lines_are_written_as_the_usual_lines_and_follow_other_handlers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The per-request lines skip the logging record while ``configure_logging``'s handler
    stands, with the same fields and the same scrub; set up another handler and they go
    through it."""
    root = logging.getLogger()
    kept_handlers, kept_level = root.handlers[:], root.level
    token = "sl_0123456789abcdef_" + "A" * 43
    try:
        configure_logging("info", "json")
        request_lines().info("request", path="/v1/x", reason=token)
        structlog.get_logger("elsewhere").info("request", path="/v1/x", reason=token)
        request_lines().debug("below the level")
        direct, usual = (json.loads(line) for line in capsys.readouterr().err.splitlines())
        assert direct.pop("timestamp") and usual.pop("timestamp")
        assert direct == usual
        assert direct["reason"] == "sl_0123456789abcdef_[redacted]"

        captured = io.StringIO()
        root.handlers = [logging.StreamHandler(captured)]
        request_lines().info("request", path="/v1/y")
        assert "/v1/y" in captured.getvalue()
        assert "/v1/y" not in capsys.readouterr().err
    finally:
        root.handlers, root.level = kept_handlers, kept_level


def test_an_access_line_knows_every_word_of_the_routes_as_fastapi_builds_them(
    services: Services,
) -> None:
    """The words an access line may show are read from the routes as declared, without
    having FastAPI build the app's copy of each: they are the words of that copy."""
    app = create_app(services=services)
    known = _known_words({"app": app})
    contexts = list(iter_route_contexts(app.routes))
    built_words = {
        segment
        for route in contexts
        for segment in str(route.path_format).split("/")
        if "{" not in segment
    }
    dependants = [route.dependant for route in contexts if hasattr(route, "dependant")]
    built_names = {field.alias for field in _query_params(dependants)}
    assert known == (frozenset(built_words), frozenset(built_names))
    assert {"v1", "subjects", "measures", "keys"} <= known[0]
    assert {"name", "as_of", "known_at", "limit"} <= known[1]
