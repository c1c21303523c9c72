"""Structured logs: one JSON object per line in production, readable lines in a terminal.

No log line may hold an API key's secret, whatever a caller sends and whichever logger
writes the line (ours, FastAPI's, uvicorn's). Lines about requests are built from what is
safe to show (``api.access_log``); as a last guard, every line is scrubbed of anything shaped
like a token or a secret before it is written (``redact_secrets``).

Every line names the process that wrote it (``pid``: one of several server processes, a
projection worker), and every line written while serving a request carries that request's
id (``request_id``, bound in structlog's context variables by ``api.request_id``).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import MutableMapping
from typing import Any

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


def redact_secrets(text: str) -> str:
    """The text with every token's secret and every secret-shaped run replaced."""
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


def add_process_id(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: the id of the process that writes the line."""
    event_dict.setdefault("pid", os.getpid())
    return event_dict


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
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
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # uvicorn's access lines hold the URL as sent, secrets and all: never written, in any
    # server process (``api.access_log`` writes one per request with what is safe to show).
    access = logging.getLogger("uvicorn.access")
    access.handlers = []
    access.propagate = False
