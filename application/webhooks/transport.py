"""One delivery as one HTTP POST, with the standard library's client.

The client never follows a redirect (a 3xx is a failed delivery: a subscriber moves by
changing its subscription, not by sending the ledger's signed payloads elsewhere), reads at
most a little of the answer, and gives up after ``timeout`` seconds on connecting, and on
each send or read. No proxy from the environment is used.
"""

from __future__ import annotations

import http.client
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

USER_AGENT = "sanctions-ledger-webhooks/1"
READ_AT_MOST = 65_536


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    retry_after: float | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    started = time.monotonic()
    try:
        status, retry_after = _post(url, body, headers, timeout)
    except (OSError, http.client.HTTPException, ValueError) as failure:
        return Outcome(None, _describe(failure), None, _elapsed(started))
    refused = None if 200 <= status < 300 else f"the receiver answered {status}"
    return Outcome(status, refused, retry_after, _elapsed(started))


def _post(
    url: str, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, float | None]:
    parts = urlsplit(url)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    try:
        connection.request(
            "POST",
            target,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        response = connection.getresponse()
        response.read(READ_AT_MOST)
        return response.status, _retry_after(response.getheader("Retry-After"))
    finally:
        connection.close()


def _retry_after(value: str | None) -> float | None:
    """Seconds, from either form of the header (a number, or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"


def _elapsed(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
