"""How domain values are written into stored events.

Each value type is stored as a JSON object under a stable transcoding name, so that moving
or renaming a class never breaks events already stored.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import date
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent, Transcoding

from domain.link import Evidence
from domain.values import (
    Actor,
    Address,
    Detail,
    Identifier,
    MeasureTerms,
    Name,
    Profile,
    Reference,
    Source,
)

VALUE_TYPES: dict[str, type[Any]] = {
    "actor": Actor,
    "address": Address,
    "detail": Detail,
    "link_evidence": Evidence,
    "identifier": Identifier,
    "measure_terms": MeasureTerms,
    "name": Name,
    "profile": Profile,
    "reference": Reference,
    "source": Source,
}


class ValueAsObject(Transcoding):
    """A frozen dataclass as a JSON object of its fields; arrays come back as tuples."""

    def __init__(self, name: str, value_type: type[Any]) -> None:
        assert is_dataclass(value_type)
        self.name = name
        self.type = value_type
        self.names = tuple(field.name for field in fields(value_type))
        """Read once: ``dataclasses.fields`` costs more than the encoding itself."""

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self.names}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(
            **{
                key: tuple(value) if isinstance(value, list) else value
                for key, value in data.items()
            }
        )


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def register_value_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    for name, value_type in VALUE_TYPES.items():
        transcoder.register(ValueAsObject(name, value_type))


class _NotPlain(Exception):
    """A value the fast encoding leaves to the library's own."""


SAFE_INTEGER = 2**53 - 1
"""The largest integer every JSON reader holds exactly (a double's 53 bits)."""
RECENT = 256
"""States remembered per thread (``parsed_recently``), enough for a group of single writes;
past that all are forgotten at once. States stored otherwise than encoded (compressed or
enciphered) are never asked for, so this bounds what they leave behind."""

_recent = threading.local()


def _remember(encoded: bytes, plain: Any) -> None:
    recent: dict[bytes, Any] | None = getattr(_recent, "states", None)
    if recent is None or len(recent) >= RECENT:
        recent = _recent.states = {}
    recent[encoded] = plain


def parsed_recently(state: bytes) -> dict[str, Any] | None:
    """What a state this thread just encoded parses to, once: the plain data written, which
    holds no float and no integer beyond 2**53. A write's Merkle leaves are made from its
    stored states right after they are encoded (``application.proofs.entries``), and need
    not parse them back. None for any other state."""
    recent: dict[bytes, Any] | None = getattr(_recent, "states", None)
    found = None if recent is None else recent.pop(state, None)
    return found if type(found) is dict else None


class FastJSONTranscoder(JSONTranscoder):
    """The library's JSON transcoder, writing the very same bytes several times faster.

    The library's encoder calls back into Python for every value JSON has no type for (each
    id, time and value object), which made encoding a quarter of a write's time. Here the
    state is first turned into plain JSON data in one pass, by the same transcodings, in the
    order the standard library's encoder tries types (strings, numbers, arrays and objects
    before any transcoding, their subclasses included), and ``orjson`` writes it: byte for
    byte what the library writes (compact, UTF-8, keys in their order). A float, a key that
    is not a string, an integer beyond 64 bits or text UTF-8 cannot hold goes the library's
    way, which writes or refuses it as it always did. Reading is the library's.
    """

    def encode(self, obj: Any) -> bytes:
        try:
            plain = self._plain(obj)
            encoded = orjson.dumps(plain)
        except (_NotPlain, orjson.JSONEncodeError, RecursionError):
            return super().encode(obj)
        _remember(encoded, plain)
        return encoded

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        self._routes.clear()

    @functools.cached_property
    def _routes(self) -> dict[type, Callable[[Any], Any]]:
        """How each type other than JSON's own is made plain, decided once per type."""
        return {}

    def _plain(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is bool or value is None:
            return value
        if kind is int:
            if -SAFE_INTEGER <= value <= SAFE_INTEGER:
                return value
            raise _NotPlain  # rare; and a state holding none needs no check when parsed
        if kind is dict:
            plain = self._plain
            return {
                (key if type(key) is str else _not_plain(key)): plain(item)
                for key, item in value.items()
            }
        if kind is list or kind is tuple:
            plain = self._plain
            return [plain(item) for item in value]
        route = self._routes.get(kind)
        if route is None:
            route = self._routes[kind] = self._route(kind)
        return route(value)

    def _route(self, kind: type) -> Callable[[Any], Any]:
        """In the order the standard library's encoder tries types: its own first, their
        subclasses included, and only then a transcoding."""
        if issubclass(kind, float):
            return _not_plain  # the library writes its repr, NaN and Infinity included
        if issubclass(kind, str):
            return str.__str__  # a subclass (a text enum): its text, as json writes it
        if issubclass(kind, int):
            return lambda value: self._plain(int(value))
        if issubclass(kind, dict):
            return lambda value: self._plain(dict(value))
        if issubclass(kind, (list, tuple)):
            return lambda value: [self._plain(item) for item in value]
        transcoding = self.types.get(kind)
        if transcoding is None:
            return _not_plain  # the library names the missing transcoding
        name = transcoding.name
        if isinstance(transcoding, ValueAsObject):  # its fields, without the dict between
            names = transcoding.names
            return lambda value: {
                "_type_": name,
                "_data_": {field: self._plain(getattr(value, field)) for field in names},
            }
        encode = transcoding.encode
        return lambda value: {"_type_": name, "_data_": self._plain(encode(value))}


def _not_plain(_value: Any) -> Any:
    raise _NotPlain


class TupleMapper(Mapper[Any]):
    """Reads events back with tuples where they were saved with tuples.

    JSON has only arrays, and the library rebuilds an event from its stored fields without
    calling its constructor; this puts the tuples back, so that an event read from the store
    equals the event that was saved.
    """

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        fields_of_event = vars(event)
        for name, value in fields_of_event.items():
            if isinstance(value, list):
                fields_of_event[name] = tuple(value)
        return event
