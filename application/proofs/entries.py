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

Canonical JSON is ``rfc8785``'s. The standard library's encoder writes the same bytes for the
JSON the ledger stores (integers of at most 15 digits, no floats, keys of the Basic
Multilingual Plane), and about three times faster, so it is used where that holds and
``rfc8785`` everywhere else (see ``canonical_json``).

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

import rfc8785

from application.proofs.merkle import leaf_hash

# Bytes that may make the standard library's JSON differ from RFC 8785's: a character beyond
# the Basic Multilingual Plane, written or escaped (RFC 8785 sorts keys by UTF-16 code units),
# and a run of 16 digits or more (a number that may be beyond 2**53). A match only sends the
# entry the slower way.
_NOT_PLAIN = re.compile(rb"[\xf0-\xf4]|\\u[dD][89abAB]|[0-9]{16}")


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
    15 digits and no key beyond the Basic Multilingual Plane (the standard library then
    writes exactly the same bytes, faster)."""
    if plain:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
        ).encode()
    return rfc8785.dumps(value)


def prepare(originator_id: UUID | str, version: int, topic: str, state: bytes) -> Prepared:
    """The entry of an event as stored, around its position.

    Raises ``EntryError`` for a state that is not a JSON object the ledger writes.
    """
    parsed, plain = _parsed_state(state)
    head = canonical_json(
        {"originator_id": _id_text(originator_id), "originator_version": version}, plain=True
    )
    tail = canonical_json(
        {"recorded_at": _recorded_at(parsed), "state": parsed, "topic": topic}, plain=plain
    )
    # The keys of the head sort before "position", those of the tail after it.
    return Prepared(head[:-1] + b',"position":', b"," + tail[1:])


def _id_text(originator_id: UUID | str) -> str:
    """An id as an entry writes it: the UUID's canonical text form."""
    return str(originator_id if isinstance(originator_id, UUID) else UUID(originator_id))


def entry_object(
    position: int, originator_id: UUID | str, version: int, topic: str, state: bytes
) -> dict[str, Any]:
    """The entry as a JSON object, as ``GET /v1/events`` shows it."""
    parsed, _ = _parsed_state(state)
    return {
        "originator_id": _id_text(originator_id),
        "originator_version": version,
        "position": position,
        "recorded_at": _recorded_at(parsed),
        "state": parsed,
        "topic": topic,
    }


def _parsed_state(state: bytes) -> tuple[dict[str, Any], bool]:
    """The stored state as JSON, and whether it is plain (see ``canonical_json``)."""
    floats: list[str] = []

    def keep_float(text: str) -> float:
        floats.append(text)
        return float(text)

    try:
        parsed = json.loads(state, parse_float=keep_float)
    except (ValueError, UnicodeDecodeError) as error:
        raise EntryError(f"the stored state is not JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise EntryError("the stored state is not a JSON object")
    return parsed, not floats and _NOT_PLAIN.search(state) is None


def _recorded_at(state: dict[str, Any]) -> str | None:
    """The recorded time as the store writes it (``{"_type_": ..., "_data_": "<ISO>"}``)."""
    timestamp = state.get("timestamp")
    if isinstance(timestamp, dict) and isinstance(timestamp.get("_data_"), str):
        return str(timestamp["_data_"])
    return None
