"""Which text the ledger accepts: what every store can hold and some real list could contain.

PostgreSQL cannot store NUL in text; UTF-8 cannot encode a lone surrogate; and no list an
authority publishes contains control characters or Unicode non-characters. Text with any of
them would either fail in one store and not the other, or poison every view built from it, so
the ledger refuses it wherever text comes in: HTTP bodies, query parameters, imported files.
Tab, line feed and carriage return are ordinary text and stay allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from domain.errors import InvalidValue

_NON_CHARACTERS = "".join(chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF))
UNACCEPTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NON_CHARACTERS + "]"
)

ACCEPTABLE_TEXT_PATTERN = (
    r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFDD0-\uFDEF\uFFFE\uFFFF]*$"
)
"""The same rule as a regular expression for JSON Schema (``pattern``), in escapes that
ECMA-262, Python and Rust's regex engine all read. It cannot name the two kinds of character
that those engines cannot all express, which the ledger refuses all the same: lone surrogates
(not text in UTF-8; a client can only send one as a ``\\uD800`` escape) and the
non-characters beyond the first plane (U+1FFFE, U+1FFFF, ...)."""

REPLACEMENT = "\ufffd"
"""What a derived copy shows in place of a character it cannot hold."""


def first_unacceptable(text: str) -> str | None:
    """The first character of ``text`` the ledger refuses, or None."""
    if text.isascii() and text.isprintable():
        # Space to tilde only, as nearly every body and name: none is refused, and two
        # C-speed checks cost a tenth of the expression's search over many ranges.
        return None
    found = UNACCEPTABLE.search(text)
    return None if found is None else found.group()


def describe(character: str) -> str:
    """How to name a refused character in a message: its code point and kind."""
    code = ord(character)
    if 0xD800 <= code <= 0xDFFF:
        kind = "a lone surrogate"
    elif code < 0x20 or 0x7F <= code <= 0x9F:
        kind = "a control character"
    else:
        kind = "a Unicode non-character"
    return f"U+{code:04X} ({kind})"


def check_text(text: str, where: str) -> None:
    """Refuse ``text`` if it holds a character the ledger does not accept."""
    character = first_unacceptable(text)
    if character is not None:
        raise InvalidValue(
            f"{where} contains {describe(character)}, which the ledger does not accept in any text"
        )


def check_all_text(value: Any, where: str) -> None:
    """Refuse any text found anywhere inside ``value`` (dataclasses, mappings, sequences)."""
    for path, text in _texts(value, where):
        check_text(text, path)


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, (bool, int, float, date, datetime, Enum)) or value is None:
        return
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key, f"{path} (a key)")
            yield from _texts(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]")
    elif is_dataclass(value) and not isinstance(value, type):
        for field in fields(value):
            yield from _texts(getattr(value, field.name), f"{path}.{field.name}")
    elif hasattr(value, "__dict__"):
        for name, item in vars(value).items():
            yield from _texts(item, f"{path}.{name}")
