"""``If-Match`` on writes to one subject: optimistic concurrency over HTTP.

``GET /v1/subjects/{id}`` answers with ``ETag: "<version>"``. A client that sends that ETag
back as ``If-Match`` on a write to the subject (or to one of its measures or events) has the
write refused with ``412`` if anyone else wrote to the subject in between, instead of
silently building on a state it never saw. Of two clients writing with the same
``If-Match``, exactly one wins.

- ``If-Match: "7"``: the subject must be at version 7.
- ``If-Match: *``: the subject must exist, whatever its version.
- Anything else is ``412`` too, with a detail saying the value is malformed. RFC 9110 has
  the server evaluate the condition, and a value that is no ETag of this ledger (an
  unquoted number, several tags, a weak tag, which never matches an If-Match) matches no
  state of the subject: the condition is false. A 400 would say the same thing less
  exactly, and ignoring the header would write without the protection the client asked for.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header

from application.errors import PreconditionFailed

STRONG = re.compile(r'"(?P<version>[0-9]{1,18})"')
PATTERN = r'^(\*|"[0-9]{1,18}")$'

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The ETag the subject was read with, e.g. "3": the write is refused with '
        "412 if the subject changed since",
        # Stated for clients and checked below rather than by validation, so that a value
        # that is no ETag is refused as the failed precondition it is, saying why.
        json_schema_extra={"pattern": PATTERN},
        examples=['"3"'],
    ),
]


async def expected_version(if_match: IfMatchHeader = None) -> int | None:
    """The subject version the write must find, or ``None`` when any version will do."""
    if if_match is None:
        return None
    value = if_match.strip()
    if value == "*":
        return None
    strong = STRONG.fullmatch(value)
    if strong is None:
        raise PreconditionFailed(
            f"If-Match {value[:40]!r} is no ETag of this ledger, so it matches no version of "
            'the subject: send the ETag as read, e.g. "3", or *'
        )
    return int(strong["version"])


IfMatchDep = Annotated[int | None, Depends(expected_version)]
