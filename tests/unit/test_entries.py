"""A leaf's entry is RFC 8785's canonical JSON of the event as stored, whichever way the
ledger writes it (the fast path of the standard library or ``rfc8785`` itself)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from application.proofs.entries import (
    EntryError,
    _parse_state_slowly,
    entry_object,
    parse_state,
    prepare,
)
from tests.support.depth import examples

KEYS = st.text(min_size=1, max_size=6)  # any character: non-BMP ones sort differently in UTF-16
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
STATES = st.dictionaries(KEYS, VALUES, max_size=6)


def stored(state: dict[str, Any]) -> bytes:
    """The bytes the ledger's encoder writes for a state (compact, UTF-8, key order kept)."""
    return json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode()


@settings(max_examples=examples(quick=80, deep=300), deadline=None)
@given(
    state=STATES, position=st.integers(min_value=1, max_value=2**40), version=st.integers(1, 10**6)
)
def test_the_prepared_entry_is_rfc_8785_of_the_entry_object(
    state: dict[str, Any], position: int, version: int
) -> None:
    originator = uuid.uuid4()
    try:
        raw = stored(state)
    except UnicodeEncodeError:  # a lone surrogate: no store holds it
        return
    expected = rfc8785.dumps(entry_object(position, originator, version, "t:x", raw))
    assert prepare(originator, version, "t:x", raw).entry(position) == expected


def test_a_key_beyond_the_basic_plane_sorts_as_rfc_8785_says() -> None:
    state = {"\U0001f600": 1, "\uff61": 2, "timestamp": {"_data_": "2021-12-10T00:00:00+00:00"}}
    raw = stored(state)
    assert not parse_state(raw).plain
    expected = rfc8785.dumps(entry_object(7, uuid.UUID(int=1), 1, "t", raw))
    assert prepare(uuid.UUID(int=1), 1, "t", raw).entry(7) == expected


def test_escapes_and_floats_are_marked_for_the_byte_exact_check() -> None:
    assert parse_state(b'{"a":"\\u001f"}').escaped
    assert parse_state(b'{"a":1.5e3}').escaped
    assert not parse_state(b'{"a":"plain","n":3}').escaped


def test_a_state_that_is_not_a_json_object_is_refused() -> None:
    for raw in (b"[1]", b'{"a":', b"\xff\xfe", b"null"):
        try:
            parse_state(raw)
        except EntryError:
            continue
        raise AssertionError(f"{raw!r} was accepted")


WIDE_SCALARS = (
    SCALARS
    | st.integers()  # beyond 2**53 and 2**64 too: orjson reads the last as floats
    | st.floats()  # NaN and infinities, written as the standard library writes them
    | st.sampled_from(["\ud800", "\udfff", "𝄞", "\x00", "é"])
)
WIDE_STATES = st.dictionaries(
    KEYS,
    st.recursive(
        WIDE_SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
        max_leaves=12,
    ),
    max_size=6,
)


@settings(max_examples=examples(quick=150, deep=600), deadline=None)
@given(state=WIDE_STATES, ascii_only=st.booleans())
def test_the_fast_parse_reads_what_the_standard_library_reads(
    state: dict[str, Any], ascii_only: bool
) -> None:
    written = json.dumps(state, ensure_ascii=ascii_only, separators=(",", ":"))
    raw = written.encode("utf-8", "surrogatepass")
    fast, slow = parse_state(raw), _parse_state_slowly(raw)
    assert (fast.plain, fast.escaped) == (slow.plain, slow.escaped)
    assert json.dumps(fast.value, sort_keys=True) == json.dumps(slow.value, sort_keys=True)
