"""JSON log lines are written whatever the values they carry: a value ``orjson`` refuses
(an integer beyond 64 bits) must not make a log call fail, on either path a line takes."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from api.logging import configure_logging, request_lines


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What logging, set up as ``ledger serve`` sets it up, writes."""
    root = logging.getLogger()
    kept_handlers, kept_level = root.handlers[:], root.level
    configure_logging("info", "json")
    written = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(written)
    try:
        yield written
    finally:
        root.handlers, root.level = kept_handlers, kept_level
        structlog.reset_defaults()


def test_a_value_orjson_refuses_is_written_by_the_standard_library(
    json_lines: io.StringIO,
) -> None:
    huge = 2**70
    structlog.get_logger("test").info("through logging", value=huge, other=object())
    request_lines().info("straight to the stream", value=huge)
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert [(line["event"], line["value"]) for line in lines] == [
        ("through logging", huge),
        ("straight to the stream", huge),
    ]
    assert lines[0]["other"].startswith("<object object")
