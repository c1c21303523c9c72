"""A log line for every denied request and every failed write: who, what and why.

Denied: ``401``, ``403``, ``413`` and ``429``, whatever the method. Failed writes: any other
answer of ``400`` or more to a method that is not a read. Each line names the caller by key
id and name (or, for a key that did not authenticate, the id the token claims), the method
and path, the status and the problem document's ``detail``. It never holds the secret: the
``Authorization`` header is not logged, only the public id parsed out of it.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.keys import key_id_of

log = structlog.get_logger("api.access")
DENIED = frozenset({401, 403, 413, 429})
READS = frozenset({"GET", "HEAD", "OPTIONS"})
KEPT_BODY = 4096


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        body = bytearray()

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and status >= 400:
                body.extend(message.get("body", b"")[: KEPT_BODY - len(body)])
            await send(message)

        await self.app(scope, receive, watched)
        if status in DENIED:
            log.warning("request denied", **_line(scope, status, bytes(body)))
        elif status >= 400 and scope["method"] not in READS:
            level = log.error if status >= 500 else log.info
            level("write failed", **_line(scope, status, bytes(body)))


def _line(scope: Scope, status: int, body: bytes) -> dict[str, Any]:
    return {
        **_caller(scope),
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "reason": _detail(body),
    }


def _caller(scope: Scope) -> dict[str, Any]:
    principal = scope.get("state", {}).get("principal")
    if principal is not None:
        label: dict[str, Any] = principal.label
        return label
    authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    scheme, _, token = authorization.partition(" ")
    claimed = key_id_of(token.strip()) if scheme.lower() == "bearer" else None
    return {"key_id": claimed, "key_name": None, "authenticated": False}


def _detail(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    detail = document.get("detail") if isinstance(document, dict) else None
    return None if detail is None else str(detail)[:500]
