"""The busiest read, a subject as it stands now, answered without the framework's routing.

``GET /v1/subjects/{id}`` with no query string is most of what clients ask. Through FastAPI
it passes six middleware layers, the router's walk over every route, the solving of the
route's parameters and its access policy, and the endpoint's response object: together
several times the cost of the read itself (a profile under load put the read at a quarter
of the request). This layer, just inside the request log (``api.access_log``, so the
request still has its id, its metrics and its access line), answers that one request
itself when everything about it is plain:

- the method is ``GET``, the path is ``/v1/subjects/`` and a UUID in its canonical form,
  and there is no query string and no ``If-None-Match``;
- the ``Authorization`` header carries a key that the process's key cache verifies from
  memory (``application.keys.Keys.cached``), of a role the route's policy admits;
- the views can answer at the end of the log (``Reader.subject_now``);
- the key's rate limit has room.

Anything else (no key or an unknown one, a stale cache, a stopped or lagging view, a
subject the views cannot compose, a refusal, an error of the store) goes on to the app
unchanged, which answers it in full, refusals and problem documents included. The layer
never refuses or fails a request itself, so every answer it gives is one the route would
give (``tests/api/test_subject_lane.py`` compares the two).
"""

from __future__ import annotations

import re
from uuid import UUID

from starlette.types import ASGIApp, Receive, Scope, Send

from api.blocking import short_read
from api.json_answers import encode_bytes
from api.lanes import (
    CANONICAL_UUID,
    RouteOf,
    admitted_caller,
    answer_json,
    has_room,
    plain_get,
)
from api.routers.subjects import get_subject

PREFIX = "/v1/subjects/"
SUBJECT_ID = re.compile(CANONICAL_UUID)


class SubjectLane:
    """Answers a plain ``GET /v1/subjects/{id}`` at now itself; passes on every other
    request, and every such request it cannot answer in full, to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.route = RouteOf(get_subject)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self._answer(scope) if _plain(scope) else None
        if answer is None:
            await self.app(scope, receive, send)
            return
        body, version = answer
        await answer_json(send, body, (b"etag", f'"{version}"'.encode("ascii")))

    async def _answer(self, scope: Scope) -> tuple[bytes, int] | None:
        """The answer's body and the subject's version, or ``None``: the app answers."""
        caller = admitted_caller(scope)
        if caller is None:
            return None
        services = caller.services
        subject_id = scope["path"][len(PREFIX) :]
        try:
            now = await short_read(
                services.reads_in_process, services.reader.subject_now, UUID(subject_id), None
            )
        except Exception:  # the app meets the same error, and answers it as a problem
            return None
        if now is None or not has_room(scope, caller):
            return None
        self.route.name(scope)
        document, version = now
        return encode_bytes(document), version


def _plain(scope: Scope) -> bool:
    """A request this layer may answer, by its method, path, query and headers alone."""
    if not plain_get(scope) or scope.get("query_string"):
        return False
    path: str = scope["path"]
    return path.startswith(PREFIX) and bool(SUBJECT_ID.fullmatch(path, len(PREFIX)))
