"""Refusing, at the door, text no store can hold and JSON that means two things.

Every request's path and query parameters, and every key and string of a JSON body, must be
text the ledger accepts (``domain.text``): no NUL or other control character, no lone
surrogate, no non-character. A JSON body must also name each key of an object once: with
``{"program": "A", "program": "B"}`` most parsers silently keep the last, so the client and
the ledger would each believe a different thing was recorded. Such a request is answered
``422`` before any route runs, so it can neither be recorded nor reach a query.

The guard parses a JSON body once for everyone: it leaves the body and its document in the
scope (``read_body``), where the write routes take them (``api.idempotency``) instead of
reading and parsing the body again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_BASE, problem
from domain.errors import InvalidValue
from domain.text import check_all_text, check_text, first_unacceptable

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
UNACCEPTABLE_TEXT = ("unacceptable-text", "Text the ledger does not accept")
DUPLICATE_KEY = ("duplicate-key", "A key named twice")


READ_BODY = "ledger.read_body"
"""The scope key under which the guard leaves the body it read and the document it parsed."""
NOT_JSON = object()


@dataclass(frozen=True, slots=True)
class ReadBody:
    """A JSON request's body as the guard read it, and its document as parsed (``NOT_JSON``
    when it is not JSON), so that nothing after the guard reads or parses it again."""

    raw: bytes
    document: Any


def read_body(scope: Scope) -> ReadBody | None:
    found = scope.get(READ_BODY)
    return found if isinstance(found, ReadBody) else None


class DuplicateKey(Exception):
    """Raised from inside the JSON parser, which lets it through as it is."""


class RequestGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            if not _plainly_acceptable(scope):
                _check_path_and_query(scope)
        except InvalidValue as refused:
            await _refusal(scope, refused.detail, UNACCEPTABLE_TEXT)(scope, receive, send)
            return
        if scope["method"] not in BODY_METHODS or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except HTTPException as error:  # the body size limit, met while reading
            await problem(error.status_code, "Content Too Large", str(error.detail))(
                scope, receive, send
            )
            return
        try:
            document = check_json(body)
        except DuplicateKey as refused:
            await _refusal(scope, str(refused), DUPLICATE_KEY)(scope, receive, send)
            return
        except InvalidValue as refused:
            await _refusal(scope, refused.detail, UNACCEPTABLE_TEXT)(scope, receive, send)
            return
        scope[READ_BODY] = ReadBody(body, document)
        await self.app(scope, _replay(body, receive), send)


def _plainly_acceptable(scope: Scope) -> bool:
    """Whether the path and query are printable ASCII with nothing percent-encoded in the
    query: text every check accepts, so there is nothing to decode or look through. Most
    requests are such, and skip the decoding and the per-character checks."""
    path: str = scope["path"]
    query: bytes = scope.get("query_string", b"")
    return (
        path.isascii()
        and path.isprintable()
        and (not query or (b"%" not in query and query.isascii() and query.decode().isprintable()))
    )


def _check_path_and_query(scope: Scope) -> None:
    check_text(scope["path"], "the path")
    query = scope.get("query_string", b"").decode("latin-1")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise InvalidValue("the query string is not valid UTF-8 once percent-decoded") from None
    for name, value in pairs:
        check_text(name, "a query parameter's name")
        check_text(value, f"query parameter {name!r}")


def check_json(body: bytes) -> Any:
    """The body's JSON document, once checked (``NOT_JSON`` if it is not JSON at all)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidValue(f"the body is not valid UTF-8 (byte {error.start})") from None
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys)
    except ValueError:
        return NOT_JSON  # the route's own validation says so
    if "\\" in text or first_unacceptable(text) is not None:
        # Only an escape can make a key or a value hold what the text itself does not, so
        # a body without one, acceptable as a whole, holds acceptable text only: one pass
        # over the body, where the check of each text costs a walk of the whole document.
        check_all_text(document, "body")
    return document


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise DuplicateKey(f"the body names the key {key!r} twice in one object")
        document[key] = value
    return document


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return not value or b"json" in value.lower()
    return True


async def _read_body(receive: Receive) -> bytes:
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.extend(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return bytes(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body again, read once already, then whatever the connection says next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _refusal(scope: Scope, detail: str, kind: tuple[str, str]) -> ASGIApp:
    slug, title = kind
    return problem(
        422,
        title,
        detail,
        PROBLEM_BASE + slug,
        instance=scope["path"] if first_unacceptable(scope["path"]) is None else None,
    )
