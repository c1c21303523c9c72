"""The views' fast JSON text is byte for byte the standard library's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.views.json_text import canonical, compact

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
