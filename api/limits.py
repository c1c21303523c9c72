"""Limits every caller meets: request body size and a rate per API key.

The page size limit lives with the list routes (``api.reading.page_size``); its maximum is
stated in the OpenAPI document by ``api.openapi``.

The rate limit is a token bucket per key (per client address for anonymous public reads),
kept in the memory of each API process. That costs nothing per request, where a shared
counter would cost a database write on every read; the price is that N processes behind a
load balancer let a key through at up to N times ``LEDGER_RATE_LIMIT_PER_MINUTE``. Set the
limit per process accordingly, or put a shared limiter (the gateway's) in front when the
total must be exact.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem
from application.settings import Settings

Clock = Callable[[], float]


class RateLimiter:
    """A token bucket per caller: ``burst`` requests at once, then ``per_minute``."""

    def __init__(self, per_minute: int, burst: int, clock: Clock = time.monotonic) -> None:
        self.rate = per_minute / 60
        self.burst = float(burst)
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, caller: str) -> None:
        """Spend one request of the caller's allowance, or refuse with 429 and Retry-After."""
        with self.lock:
            now = self.clock()
            tokens, then = self.buckets.get(caller, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens < 1:
                self.buckets[caller] = (tokens, now)
                wait = math.ceil((1 - tokens) / self.rate)
                raise HTTPException(
                    429,
                    f"this key made too many requests; retry in {wait} s",
                    headers={"Retry-After": str(wait)},
                )
            self.buckets[caller] = (tokens - 1, now)
            if len(self.buckets) > 10_000:
                self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        """Drop the buckets that have refilled: they hold nothing a new bucket would not."""
        full = [
            c for c, (t, at) in self.buckets.items() if t + (now - at) * self.rate >= self.burst
        ]
        for caller in full:
            del self.buckets[caller]


_CREATION = threading.Lock()


def rate_limiter(app: FastAPI, settings: Settings) -> RateLimiter:
    """The app's rate limiter, made on first use from the settings it runs with."""
    limiter: RateLimiter | None = getattr(app.state, "rate_limiter", None)
    if limiter is None:
        with _CREATION:
            limiter = getattr(app.state, "rate_limiter", None)
            if limiter is None:
                limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
                app.state.rate_limiter = limiter
    return limiter


class BodySizeLimit:
    """Refuses a request body above its limit (``max_body_bytes``) with 413, before it is read
    when it declares its length, and as soon as it grows past the limit when it is chunked."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if not chunked and (declared is None or declared == b"0"):
            # No body (a read): nothing to count.
            await self.app(scope, receive, send)
            return
        limit = max_body_bytes(scope)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI passes an HTTPException raised while reading the body through.
                    raise HTTPException(413, _too_large_detail(limit))
            return message

        await self.app(scope, counted, send)


BATCH_PATHS = frozenset({"/v1/screenings"})
BATCH_TYPES = (b"text/csv", b"application/x-ndjson", b"application/jsonl")


def max_body_bytes(scope: Scope) -> int:
    """``LEDGER_MAX_BODY_BYTES``, or ``LEDGER_MAX_BATCH_BYTES`` for a file of rows to
    screen (100,000 names are several megabytes)."""
    app: Any = scope["app"]
    settings = app.state.services.settings
    if scope.get("path") in BATCH_PATHS:
        content_type = dict(scope["headers"]).get(b"content-type", b"")
        if content_type.split(b";")[0].strip().lower() in BATCH_TYPES:
            batch: int = settings.max_batch_bytes
            return batch
    limit: int = settings.max_body_bytes
    return limit


def _too_large_detail(limit: int) -> str:
    return f"the request body is larger than the {limit} bytes this ledger accepts"


def _too_large(limit: int) -> ASGIApp:
    return problem(413, "Content Too Large", _too_large_detail(limit))
