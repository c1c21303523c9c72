"""JSON log lines are written whatever the values they carry: a value ``orjson`` refuses
(an integer beyond 64 bits) must not make a log call fail, on either path a line takes; both
paths write the same fields; and no line holds a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from api.logging import (
    HEX,
    LONG_RUN,
    REDACTED,
    TOKEN,
    configure_logging,
    redact_secrets,
    request_lines,
)


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


def test_a_request_line_has_the_fields_of_every_line_in_their_order(
    json_lines: io.StringIO,
) -> None:
    """The lines written straight to the stream look like the lines written through
    ``logging``: the same fields, in the same order, at each level."""
    structlog.contextvars.bind_contextvars(request_id="r1")
    try:
        structlog.get_logger("test").warning("through logging", status=401)
        request_lines().info("straight", status=200)
        request_lines().warning("straight", status=401)
        request_lines().error("straight", status=500)
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert [list(line) for line in lines] == [
        ["status", "event", "request_id", "level", "timestamp", "pid"]
    ] * 4
    assert [line["level"] for line in lines] == ["warning", "info", "warning", "error"]
    assert all(line["timestamp"].endswith("Z") for line in lines)


RUNS = st.text(alphabet="ab9_-", min_size=40, max_size=46)
PIECES = st.one_of(
    RUNS,
    st.sampled_from(["sl_", "sl_0123456789abcdef_", " ", '"', "/", "\ud800", "é", "."]),
    st.text(max_size=5),
)


@given(st.lists(PIECES, max_size=8).map("".join))
def test_a_line_is_scrubbed_as_the_patterns_alone_would_scrub_it(text: str) -> None:
    """The quick look for anything a secret could be leaves every line the patterns would
    change to them."""
    by_patterns = TOKEN.sub(lambda match: match[1] + REDACTED, text)
    by_patterns = LONG_RUN.sub(lambda m: m[0] if HEX.fullmatch(m[0]) else REDACTED, by_patterns)
    assert redact_secrets(text) == by_patterns
