"""The characters no imported text may hold, and how a refusal names them."""

from __future__ import annotations

import pytest

from application.importers.records import FORBIDDEN_CHARACTER, describe_character


@pytest.mark.parametrize(
    ("character", "description"),
    [
        ("\x00", "control character U+0000"),
        ("\x08", "control character U+0008"),
        ("\x0b", "control character U+000B"),
        ("\x1f", "control character U+001F"),
        ("\x7f", "control character U+007F"),
        ("\x85", "control character U+0085"),
        ("\x9f", "control character U+009F"),
        ("\ud800", "lone surrogate U+D800"),
        ("\udfff", "lone surrogate U+DFFF"),
        ("\ufdd0", "non-character U+FDD0"),
        ("\ufdef", "non-character U+FDEF"),
        ("\ufffe", "non-character U+FFFE"),
        ("\uffff", "non-character U+FFFF"),
        ("\U0001fffe", "non-character U+1FFFE"),
        ("\U0010ffff", "non-character U+10FFFF"),
    ],
)
def test_a_forbidden_character_is_found_and_named(character: str, description: str) -> None:
    found = FORBIDDEN_CHARACTER.search(f"RI {character}WON HO")

    assert found is not None
    assert found.start() == 3
    assert describe_character(found.group()) == description


@pytest.mark.parametrize(
    "text",
    ["TAB\tLF\nCR\r", "\xa0no-break space", "عبد الله", "\ufdcf\ufdf0\ufffd", "\U0001fffd 😀"],
)
def test_text_and_its_usual_whitespace_are_allowed(text: str) -> None:
    assert FORBIDDEN_CHARACTER.search(text) is None
