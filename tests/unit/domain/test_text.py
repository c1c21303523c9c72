"""Which characters the ledger refuses: the quick look at plain ASCII text must find exactly
what the full expression finds, on any text."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from domain.text import UNACCEPTABLE, first_unacceptable

ASCII = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=60)
ANY = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60)


@given(st.one_of(ASCII, ANY))
def test_the_first_refused_character_is_the_expressions(text: str) -> None:
    found = UNACCEPTABLE.search(text)
    assert first_unacceptable(text) == (None if found is None else found.group())


def test_every_ascii_control_but_tab_and_line_ends_is_refused() -> None:
    for code in range(0x80):
        character = chr(code)
        refused = first_unacceptable(f"name{character}name") is not None
        allowed = character in string.printable[:-2] or character in "\t\n\r"
        assert refused is not allowed, repr(character)
