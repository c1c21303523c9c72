"""Structured logs: one JSON object per line in production, readable lines in a terminal.

No log line may hold an API key's secret, whatever a caller sends and whichever logger
writes the line (ours, FastAPI's, uvicorn's). Lines about requests are built from what is
safe to show (``api.access_log``); as a last guard, every line is scrubbed of anything shaped
like a token or a secret before it is written (``redact_secrets``).

The lines written for every request (``api.access_log``) skip the ``logging`` record and its
handler's machinery, and structlog's bound logger, when they can: while the handler set up
here is the only one and the level is as set, they get the same fields in the same order,
the same renderer and the same scrubbing, and go to the same stream under the handler's lock
(``request_lines``). Built for every request, that machinery cost the event loop more than
the rest of the line. Anyone who sets up other handlers gets the lines the usual way.

Every line names the process that wrote it (``pid``: one of several server processes, a
projection worker), and every line written while serving a request carries that request's
id (``request_id``, bound in structlog's context variables by ``api.request_id``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog

REDACTED = "[redacted]"
# A token is sl_<16 hex digits of the key id>_<43 characters of secret>: the id is public and
# worth keeping in a line, the rest is not.
TOKEN = re.compile(r"(sl_[0-9a-f]{16}_)[A-Za-z0-9_-]+")
# A secret sent without its prefix: a run of 43 or more URL-safe characters. Ids (UUIDs, 36
# characters) are shorter; long runs of hex digits (digests) are let through, since a random
# secret of 43 characters is all hex with a probability of about 1e-20.
LONG_RUN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43,}(?![A-Za-z0-9_-])")
HEX = re.compile(r"[0-9a-fA-F-]+")


_RUN_CLASS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_AS_RUNS = bytes(0x61 if byte in _RUN_CLASS else 0x20 for byte in range(256))
"""Each byte of a URL-safe character as ``a``, every other byte as a space."""
_SHORTEST_SECRET = b"a" * 43


def _may_hold_secrets(text: str) -> bool:
    """Whether either pattern could match: a token's prefix, or a run as long as a secret.
    Two scans at C speed, where the patterns' searches cost several times more on a line
    that holds neither, as nearly every line does."""
    encoded = text.encode("utf-8", "surrogatepass")  # a lone surrogate is logged too
    return "sl_" in text or _SHORTEST_SECRET in encoded.translate(_AS_RUNS)


def redact_secrets(text: str) -> str:
    """The text with every token's secret and every secret-shaped run replaced."""
    if not _may_hold_secrets(text):
        return text
    text = TOKEN.sub(lambda match: match[1] + REDACTED, text)
    return LONG_RUN.sub(lambda m: m[0] if HEX.fullmatch(m[0]) else REDACTED, text)


def scrub_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: every text value of the line, redacted."""
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact_secrets(value)
    return event_dict


class RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """Scrubs the finished line too: tracebacks and foreign records' arguments included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_secrets(super().format(record))


_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


# Asking the system for it on every line costs a call to the kernel; a child process learns
# its own once, as it starts.
os.register_at_fork(after_in_child=_forked)


def add_process_id(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: the id of the process that writes the line."""
    event_dict.setdefault("pid", _pid)
    return event_dict


class _HandlerStream:
    """A structlog logger writing finished lines to a ``logging`` handler's stream, under
    the handler's lock, as the handler's own ``emit`` does."""

    def __init__(self, handler: logging.StreamHandler[Any]) -> None:
        self.handler = handler

    def msg(self, line: str) -> None:
        self.handler.acquire()
        try:
            self.handler.stream.write(line + self.handler.terminator)
            self.handler.flush()
        finally:
            self.handler.release()

    debug = info = warning = warn = error = critical = fatal = exception = msg


def _json_text(document: Any, **options: Any) -> str:
    """A line's JSON, compact, written by ``orjson`` (a fifth of the standard library's
    time); a value of no JSON type goes to structlog's fallback (``repr``), and a line
    ``orjson`` refuses whole (an integer beyond 64 bits, a key that is not text) to the
    standard library, so that no value can make logging fail."""
    fallback = options.get("default")
    try:
        return orjson.dumps(document, default=fallback).decode()
    except TypeError:
        return json.dumps(document, default=fallback, separators=(",", ":"))


class _DirectLines:
    """The lines written for every request, rendered as every other JSON line is (the same
    fields in the same order: the line's own, ``event``, the context's, ``level``,
    ``timestamp``, ``pid``), scrubbed whole once and written straight to the handler's
    stream: structlog's bound logger and processor chain cost the event loop more than the
    line itself."""

    def __init__(self, stream: _HandlerStream, level: int, renderer: Any) -> None:
        self.stream = stream
        self.level = level
        self.renderer = renderer

    def _write(self, level: str, event: str, fields: dict[str, Any]) -> None:
        line = {**fields, "event": event}
        structlog.contextvars.merge_contextvars(None, level, line)
        line["level"] = level
        line["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        line.setdefault("pid", _pid)
        self.stream.msg(redact_secrets(self.renderer(None, level, line)))

    def debug(self, event: str, **fields: Any) -> None:
        if self.level <= logging.DEBUG:
            self._write("debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        if self.level <= logging.INFO:
            self._write("info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        if self.level <= logging.WARNING:
            self._write("warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        if self.level <= logging.ERROR:
            self._write("error", event, fields)


@dataclass(frozen=True)
class _Direct:
    handler: logging.Handler
    level: int
    logger: _DirectLines


_direct: _Direct | None = None
_request_log = structlog.get_logger("api.access")


def request_lines() -> Any:
    """The logger of the lines written for every request: straight to the stream while the
    logging set up by ``configure_logging`` stands, else the usual way."""
    direct, root = _direct, logging.root
    if direct is not None and root.level == direct.level:
        handlers = root.handlers
        if len(handlers) == 1 and handlers[0] is direct.handler:
            return direct.logger
    return _request_log


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    global _direct
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(serializer=_json_text)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_process_id,
        scrub_secrets,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    _direct = None
    if fmt == "json":
        direct = _DirectLines(_HandlerStream(handler), root.level, renderer)
        _direct = _Direct(handler, root.level, direct)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # uvicorn's access lines hold the URL as sent, secrets and all: never written, in any
    # server process (``api.access_log`` writes one per request with what is safe to show).
    access = logging.getLogger("uvicorn.access")
    access.handlers = []
    access.propagate = False
