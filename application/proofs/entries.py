"""The leaf of an event: the canonical JSON of the event exactly as the store holds it.

Every event of the log is one leaf of the ledger's Merkle tree. Its ``entry`` is the
RFC 8785 canonical JSON of one object::

    {"originator_id": "<uuid>", "originator_version": <int>, "position": <int>,
     "recorded_at": "<the recorded time as stored>", "state": <the stored state>,
     "topic": "<stored topic>"}

``state`` is the stored state itself (the event's full data, its recorded time included),
parsed as JSON; ``recorded_at`` repeats the recorded time from it, so that a reader of an
entry need not know how the store writes times. ``GET /v1/events`` shows this object as each
event's ``entry``, so an outsider recomputes a leaf as ``SHA-256(0x00 || JCS(entry))``.

Canonical JSON is ``rfc8785``'s. ``orjson`` with sorted keys writes the same bytes for the
JSON the ledger stores (no floats, no integers beyond 2**53, keys of the Basic Multilingual
Plane), many times faster, so it is used where that holds and ``rfc8785`` everywhere else
(see ``canonical_json``).

Positions are known only inside the transaction that stores the events, while canonical JSON
is the costly part; so an entry is prepared in two parts, before and after its position
(``Prepared``), outside the transaction, and only joined and hashed inside it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
import rfc8785

from application.proofs.merkle import leaf_hash
from application.transcodings import SAFE_INTEGER, parsed_recently

# What may make the fast path's JSON differ from RFC 8785's: a float, an integer
# beyond 2**53, and a character beyond the Basic Multilingual Plane, written (its UTF-8 starts
# with a byte of 0xF0 or more) or escaped as a surrogate pair (RFC 8785 sorts keys by UTF-16
# code units). Any of them only sends the entry the slower way (``SAFE_INTEGER``: the
# largest integer every JSON reader holds exactly).
FOUR_BYTE_LEAD = 0xF0
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89abAB]")


class EntryError(ValueError):
    """A stored record that is no event the ledger could have written."""


@dataclass(frozen=True)
class Prepared:
    """An entry's canonical JSON around its position: ``head + position + tail``."""

    head: bytes
    tail: bytes

    def entry(self, position: int) -> bytes:
        return self.head + str(position).encode() + self.tail

    def leaf(self, position: int) -> bytes:
        return leaf_hash(self.entry(position))


def canonical_json(value: Any, *, plain: bool = False) -> bytes:
    """RFC 8785 canonical JSON; ``plain`` says the value holds no float, no integer beyond
    2**53 and no key beyond the Basic Multilingual Plane (``orjson`` with sorted keys then
    writes exactly the same bytes, several times faster)."""
    if plain:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return rfc8785.dumps(value)


@dataclass(frozen=True)
class ParsedState:
    """A stored state parsed once, with what its canonical JSON and checks need to know."""

    value: dict[str, Any]
    plain: bool
    """No float, no integer beyond 2**53 and no character beyond the Basic Multilingual
    Plane (see ``canonical_json``)."""
    escaped: bool
    """Holds a float or a ``\\u`` escape: the only bytes a change could alter without
    altering the JSON they parse to (a hex digit's case, an exponent's)."""


def parse_state(state: bytes) -> ParsedState:
    """The stored state as JSON; ``EntryError`` if it is not a JSON object.

    ``orjson`` parses it several times faster than the standard library, and to the same
    value where it holds no float and no integer beyond 2**53 (nearly every state): past
    2**64 ``orjson`` reads an integer as a float. Any of them, or JSON ``orjson`` refuses
    (``NaN``, a lone surrogate, another encoding than UTF-8), sends the state the slower way.
    A state this thread has just encoded is not parsed at all: its plain data is known."""
    known = parsed_recently(state)
    if known is not None:
        return _parsed(state, known, odd=False)
    try:
        parsed = orjson.loads(state)
    except orjson.JSONDecodeError:
        return _parse_state_slowly(state)
    if type(parsed) is not dict or _holds_odd_number(parsed):
        return _parse_state_slowly(state)
    return _parsed(state, parsed, odd=False)


def _holds_odd_number(value: dict[str, Any]) -> bool:
    """Whether a parsed value holds a float or an integer beyond 2**53."""
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
        elif kind is float or (kind is int and not -SAFE_INTEGER <= item <= SAFE_INTEGER):
            return True
    return False


def _parse_state_slowly(state: bytes) -> ParsedState:
    odd: list[bool] = []

    def keep_float(text: str) -> float:
        odd.append(True)
        return float(text)

    def keep_int(text: str) -> int:
        number = int(text)
        if not -SAFE_INTEGER <= number <= SAFE_INTEGER:
            odd.append(True)
        return number

    try:
        parsed = json.loads(state, parse_float=keep_float, parse_int=keep_int)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise EntryError(f"the stored state is not JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise EntryError("the stored state is not a JSON object")
    return _parsed(state, parsed, odd=bool(odd))


def _parsed(state: bytes, parsed: dict[str, Any], *, odd: bool) -> ParsedState:
    # ``find``, not ``in``: ``in`` first tries its operand as an integer, an error raised and
    # dropped on every write.
    escaped = state.find(b"\\u") >= 0
    wide = not state.isascii() and max(state) >= FOUR_BYTE_LEAD
    surrogates = escaped and _ESCAPED_SURROGATE.search(state) is not None
    return ParsedState(parsed, not (odd or wide or surrogates), escaped or odd)


def prepare(originator_id: UUID | str, version: int, topic: str, state: bytes) -> Prepared:
    """The entry of an event as stored, around its position.

    Raises ``EntryError`` for a state that is not a JSON object the ledger writes.
    """
    return prepare_parsed(originator_id, version, topic, parse_state(state))


def prepare_parsed(
    originator_id: UUID | str, version: int, topic: str, state: ParsedState
) -> Prepared:
    # The keys of the head sort before "position", those of the tail after it; an id's text
    # and an integer need no escaping.
    head = f'{{"originator_id":"{_id_text(originator_id)}","originator_version":{version},'
    tail = canonical_json(
        {"recorded_at": _recorded_at(state.value), "state": state.value, "topic": topic},
        plain=state.plain,
    )
    return Prepared(head.encode() + b'"position":', b"," + tail[1:])


def _id_text(originator_id: UUID | str) -> str:
    """An id as an entry writes it: the UUID's canonical text form."""
    return str(originator_id if isinstance(originator_id, UUID) else UUID(originator_id))


def entry_object(
    position: int, originator_id: UUID | str, version: int, topic: str, state: bytes
) -> dict[str, Any]:
    """The entry as a JSON object, as ``GET /v1/events`` shows it."""
    parsed = parse_state(state).value
    return {
        "originator_id": _id_text(originator_id),
        "originator_version": version,
        "position": position,
        "recorded_at": _recorded_at(parsed),
        "state": parsed,
        "topic": topic,
    }


def _recorded_at(state: dict[str, Any]) -> str | None:
    """The recorded time as the store writes it (``{"_type_": ..., "_data_": "<ISO>"}``)."""
    timestamp = state.get("timestamp")
    if isinstance(timestamp, dict) and isinstance(timestamp.get("_data_"), str):
        return str(timestamp["_data_"])
    return None
