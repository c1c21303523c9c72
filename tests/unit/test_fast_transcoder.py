"""The ledger's transcoder writes byte for byte what the library's JSON transcoder writes,
and refuses what it refuses."""

from __future__ import annotations

import enum
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from application.proofs.entries import _parse_state_slowly, parse_state
from application.transcodings import (
    FastJSONTranscoder,
    parsed_recently,
    register_value_transcodings,
)
from domain.values import Actor, Authority, Name, Profile, Reference, Source


class Colour(enum.StrEnum):
    RED = "red"


class Size(enum.IntEnum):
    BIG = 7


def transcoders() -> tuple[JSONTranscoder, JSONTranscoder]:
    made = []
    for kind in (JSONTranscoder, FastJSONTranscoder):
        transcoder = kind()
        for transcoding in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
            transcoder.register(transcoding)
        register_value_transcodings(transcoder)
        made.append(transcoder)
    return made[0], made[1]


LIBRARY, FAST = transcoders()

TEXT = st.text() | st.sampled_from(["\x7f", "é", "\u2028", '\x00\n\t"\\/', "𝄞", "\ud800"])
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | TEXT
    | st.uuids()
    | st.datetimes(timezones=st.just(UTC))
    | st.dates()
    | st.decimals(allow_nan=False)
    | st.sampled_from([Colour.RED, Size.BIG])
    | st.builds(Name, st.text(min_size=1).filter(str.strip))
    | st.builds(Actor, st.text(min_size=1), st.text(min_size=1)),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(TEXT, inner, max_size=4)
        | st.dictionaries(st.integers() | st.none(), inner, max_size=2)
    ),
    max_leaves=15,
)


def outcome(transcoder: JSONTranscoder, value: Any) -> bytes | type[BaseException]:
    try:
        return transcoder.encode(value)
    except Exception as error:
        return type(error)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_the_bytes_are_the_librarys(value: Any) -> None:
    assert outcome(FAST, value) == outcome(LIBRARY, value)


def test_an_event_state_with_values_is_written_the_librarys_way() -> None:
    state = {
        "timestamp": datetime(2021, 12, 10, 14, 30, tzinfo=UTC) + timedelta(microseconds=5),
        "profile": Profile((Name("SOIN, Kwang Hyok"), Name("Соин"))),
        "references": (Reference(Authority.US_OFAC, "34021"),),
        "source": Source(Authority.US_OFAC, "https://ofac.treasury.gov/recent-actions/20211210"),
        "subject_id": uuid.uuid4(),
        "day": date(2021, 12, 10),
        "amount": Decimal("1.50"),
    }
    assert FAST.encode(state) == LIBRARY.encode(state)
    assert FAST.decode(FAST.encode(state)) == LIBRARY.decode(LIBRARY.encode(state))


def test_what_the_library_cannot_write_is_refused_alike() -> None:
    with pytest.raises(TranscodingNotRegisteredError):
        FAST.encode({"value": object()})
    circular: list[Any] = []
    circular.append(circular)
    with pytest.raises(ValueError, match="Circular"):
        FAST.encode(circular)
    with pytest.raises(UnicodeEncodeError):
        FAST.encode({"text": "\udc80"})


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=5), VALUES, max_size=4))
def test_a_state_just_encoded_is_read_back_as_parsing_it_would(state: dict[str, Any]) -> None:
    """The Merkle leaves of a write take its states' plain data as the encoding left it
    rather than parse them again: the same value and the same marks as a parse."""
    try:
        encoded = FAST.encode(state)
    except Exception:
        return  # refused alike (above)
    known = parse_state(encoded)
    parsed = _parse_state_slowly(encoded)
    assert json.dumps(known.value) == json.dumps(parsed.value)
    assert (known.plain, known.escaped) == (parsed.plain, parsed.escaped)
    assert parsed_recently(encoded) is None  # taken once
