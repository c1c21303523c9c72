"""A read's point in both times, and the cursors that carry it from page to page.

Every read answers for one effective time (``as_of``) and one log position (what was known
at ``known_at``): a ``ReadPoint``. A list's cursor pins the point of its first page, so that
every page answers for the same point even while new events arrive.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from application.documents import iso
from domain.errors import InvalidValue
from domain.text import check_text
from domain.values import utc

POSITION_PREFIX = "position:"


MAX_POSITION = 2**63 - 1
ASCII_NUMBER = re.compile(r"[0-9]{1,19}")
"""A log position as text: ASCII digits only (``str.isdigit`` would take superscripts
and Arabic-Indic digits)."""


@dataclass(frozen=True)
class ReadPoint:
    """The point in both times a read answers for."""

    as_of: datetime
    known_at: str
    position: int

    def describe(self) -> dict[str, Any]:
        return {"as_of": iso(self.as_of), "known_at": self.known_at, "position": self.position}

    @classmethod
    def described(cls, state: dict[str, Any]) -> ReadPoint:
        """The point ``describe`` gave, as a cursor carries it back; anything a cursor of
        this API could not hold is refused, so a forged one cannot reach a query."""
        try:
            as_of = utc(datetime.fromisoformat(state["as_of"]))
            known_at, position = state["known_at"], state["position"]
        except (KeyError, TypeError, ValueError, InvalidValue):
            raise InvalidValue("the cursor is not one this API gave out") from None
        if (
            not isinstance(known_at, str)
            or type(position) is not int
            or not 0 <= position <= MAX_POSITION
        ):
            raise InvalidValue("the cursor is not one this API gave out")
        check_text(known_at, "the cursor")
        return cls(as_of, known_at, position)


def parse_known_at(text: str) -> datetime | int:
    """``position:N`` or an ISO timestamp (UTC unless it names its zone)."""
    if text.startswith(POSITION_PREFIX):
        number = text.removeprefix(POSITION_PREFIX)
        if ASCII_NUMBER.fullmatch(number) is None or int(number) > MAX_POSITION:
            raise InvalidValue(
                f"known_at {text!r}: a position is 'position:' and a whole number "
                f"of ASCII digits, at most {MAX_POSITION}"
            )
        return int(number)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue(
            f"known_at {text!r} is neither an ISO timestamp nor 'position:N'"
        ) from None
    return utc(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def encode_cursor(after: str, point: ReadPoint) -> str:
    """An opaque cursor that pins the read point too, so that every page of a list answers
    for the same point even while new events arrive."""
    state = {"after": after, **point.describe()}
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, ReadPoint]:
    """The id to continue after, and the read point of the first page."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded))
        point = ReadPoint.described(state)
        after = state["after"]
    except (ValueError, KeyError, TypeError):
        raise InvalidValue(f"cursor {cursor!r} is not one this API gave out") from None
    if not isinstance(after, str):
        raise InvalidValue(f"cursor {cursor!r} is not one this API gave out")
    check_text(after, "the cursor")
    return after, point
