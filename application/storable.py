"""Text no store can hold, refused on the way into the log whoever sends it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from application.receipts import event_type
from domain.text import UNACCEPTABLE, check_all_text


def check_storable(events: Sequence[tuple[Any, bytes | None]]) -> None:
    """Refuse any event holding text a store cannot hold, whoever sent it: the API refuses
    such text at the door, and this catches every other way in (imports, the CLI).

    Each event comes with its stored JSON, if the store keeps it as plain JSON: that is
    searched at once, and only an event where something looks wrong is walked field by
    field, to name the field."""
    for event, state in events:
        if state is None or suspect(state):
            check_all_text(vars(event), event_type(event))


ESCAPED_CONTROL = re.compile(r"(?<!\\)(?:\\\\)*\\[ubf]")
r"""A control character as the JSON encoder escapes it (``\u0000``, ``\b``, ``\f``; the
escapes of tab, line feed and carriage return are allowed), after any escaped backslashes."""


def suspect(state: bytes) -> bool:
    """Whether a stored JSON state may hold a character the ledger refuses. The encoder
    escapes every ASCII control but DEL, so ASCII text needs no more than a look for DEL and
    for an escape; other text is searched whole."""
    text = state.decode("utf8")
    if not text.isascii():
        return bool(UNACCEPTABLE.search(text) or ESCAPED_CONTROL.search(text))
    escaped = "\\u" in text or "\\b" in text or "\\f" in text
    return "\x7f" in text or (escaped and ESCAPED_CONTROL.search(text) is not None)
