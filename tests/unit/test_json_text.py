"""The views' fast JSON text is byte for byte the standard library's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.views.json_text import (
    _SORTED,
    _fast,
    canonical,
    canonical_and_compact,
    canonical_and_compact_with_part,
    compact,
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.sampled_from(["\x7f", "é", "\u2028", "\x00\n\t", "𝄞", "\ud800"])
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=6) | st.sampled_from(["é", "a", "\x7f"]), inner, max_size=4
        )
    ),
    max_leaves=20,
)


@given(documents)
def test_the_text_is_the_standard_librarys(value: Any) -> None:
    assert canonical(value) == json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    assert compact(value) == json.dumps(value, separators=(",", ":"))


@given(st.dictionaries(st.integers() | st.booleans() | st.none(), st.integers(), max_size=4))
def test_keys_that_are_not_strings_are_written_as_the_standard_library_writes_them(
    value: dict[Any, int],
) -> None:
    assert compact(value) == json.dumps(value, separators=(",", ":"))


@dataclass
class _Value:
    text: str


@pytest.mark.parametrize("value", [_Value("a"), datetime(2021, 12, 10, tzinfo=UTC), {1j}])
def test_what_the_standard_library_refuses_is_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        canonical({"value": value})
    with pytest.raises(TypeError):
        compact([value])


@pytest.mark.parametrize(
    "value",
    [
        {"subject_id": "96cfdbcc-f7aa-5dad-be81-d49556c020b9", "measure": "1e5"},
        ["3e", {"n": 12, "f": 1.5}],
        {"at": "2016-10-05T10:54:32.700000Z", "ids": ["a:1e5", "b:0.00001"]},
    ],
)
def test_documents_without_a_float_orjson_writes_otherwise_take_the_fast_way(
    value: Any,
) -> None:
    assert _fast(value, _SORTED) == canonical(value)


@pytest.mark.parametrize("value", [{"ids": ["b,2E3"]}, ["[7e1"], {"a": '":1e5'}])
def test_a_number_seen_in_a_string_takes_the_standard_way_and_writes_the_same(
    value: Any,
) -> None:
    """Separators before a number's form inside a string: looked at, and written by the
    standard library."""
    assert _fast(value, _SORTED) is None
    assert canonical(value) == json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize("value", [1e-7, [1e16], {"a": -0.00001}, {"a": [2.5e-9]}, 12])
def test_numbers_orjson_may_write_otherwise_take_the_standard_way(value: Any) -> None:
    assert _fast(value, _SORTED) is None
    assert canonical(value) == json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


@given(documents)
def test_both_texts_at_once_are_each_the_standard_librarys(value: Any) -> None:
    assert canonical_and_compact(value) == (canonical(value), compact(value))


@given(st.dictionaries(st.text(max_size=6), documents, max_size=6), st.data())
def test_a_document_and_a_part_of_it_at_once_are_each_the_standard_librarys(
    value: dict[str, Any], data: st.DataObject
) -> None:
    kept = data.draw(
        st.lists(st.sampled_from(sorted(value)), unique=True) if value else st.just([])
    )
    part = {key: value[key] for key in kept}
    assert canonical_and_compact_with_part(value, part) == (
        canonical(value),
        compact(value),
        canonical(part),
    )
