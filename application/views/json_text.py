"""The views' JSON text: the standard library's, written several times faster.

Every view row carries its document as JSON text and a digest of its canonical JSON, and
views written by earlier versions must keep comparing equal, so the text is exactly what
``json.JSONEncoder(separators=(",", ":"), sort_keys=...)`` writes (``ensure_ascii`` on).
``orjson`` writes the same bytes for JSON whose text is printable ASCII, at a fraction of the
cost. Where it might not (a character it leaves raw that the standard library escapes:
non-ASCII or DEL; a float it writes otherwise: ``1e-7`` for ``1e-07``, ``0.00001`` for
``1e-05``; a key that is not a string, an integer beyond 64 bits, a dataclass or a time),
the standard library writes it. The views' documents hold only what
``application.documents.plain`` makes: strings, numbers, booleans, lists and dicts.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_STRICT = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
"""Dataclasses and times go to ``default`` (which refuses them), as the standard library
refuses them; ``orjson`` would write them."""
_SORTED = _STRICT | orjson.OPT_SORT_KEYS
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
_COMPACT = json.JSONEncoder(separators=(",", ":"))
_DEL = 0x7F
_FLOAT_FORMS = re.compile(rb"[:,\[]-?(?:[0-9][0-9.]*[eE]|0\.0000)")
"""Where ``orjson`` may have written a float as the standard library does not: a number with
an exponent, and the small numbers it writes without one. Only numbers are looked at (in
compact JSON a value inside a document follows ``:``, ``,`` or ``[``, and a number starts
with a digit or ``-``): the ids in nearly every document hold a digit before an ``e``
(``3e`` in a UUID), and looking at those sent most documents the slower way. Text in a string
that looks like a number only costs the slower way."""
_NUMBER_START = b"-0123456789"
"""A document that is a number itself: the slower way."""
_NUMBER_MARKS = bytes.maketrans(_NUMBER_START, b"0" * len(_NUMBER_START))
"""Every character a number starts with, made ``0``. In compact JSON a number inside a
document follows ``":`` (a key), ``[`` or ``,``; a text so marked that holds none of
``":0``, ``[0`` and ``,0`` holds no number, and ``_FLOAT_FORMS`` need not look (its scan
cost several times what ``orjson`` takes to write the text). Times in strings hold a colon
before a digit, but never a quote before that colon."""


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


def _fast(value: Any, option: int) -> bytes | None:
    try:
        text = orjson.dumps(value, default=_refuse, option=option)
    except TypeError:  # a key that is not a string, a big integer, a type orjson leaves
        return None
    if not text.isascii() or _DEL in text or text[0] in _NUMBER_START:
        return None
    # ``find`` rather than ``in``: for a ``bytes`` needle, ``in`` first tries it as an
    # integer and builds an error message to throw away.
    marked = text.translate(_NUMBER_MARKS)
    if (
        marked.find(b'":0') != -1 or marked.find(b"[0") != -1 or marked.find(b",0") != -1
    ) and _FLOAT_FORMS.search(text):
        return None
    return text


def canonical(value: Any) -> bytes:
    """``value`` as compact JSON with sorted keys, UTF-8 (all ASCII)."""
    fast = _fast(value, _SORTED)
    return fast if fast is not None else _CANONICAL.encode(value).encode()


def compact(value: Any) -> str:
    """``value`` as compact JSON with its keys in their order."""
    fast = _fast(value, _STRICT)
    return fast.decode() if fast is not None else _COMPACT.encode(value)


def canonical_and_compact(value: Any) -> tuple[bytes, str]:
    """``(canonical(value), compact(value))``, looked at once: the two texts hold the same
    strings and numbers, in another order."""
    fast = _fast(value, _STRICT)
    if fast is None:
        return _CANONICAL.encode(value).encode(), _COMPACT.encode(value)
    return orjson.dumps(value, option=_SORTED), fast.decode()


def canonical_and_compact_with_part(
    value: dict[str, Any], part: dict[str, Any]
) -> tuple[bytes, str, bytes]:
    """``(canonical(value), compact(value), canonical(part))``, where ``part`` holds some of
    ``value``'s items: looked at once, since its keys, strings and numbers are among
    ``value``'s (the look is most of what each text costs)."""
    fast = _fast(value, _STRICT)
    if fast is None:
        return _CANONICAL.encode(value).encode(), _COMPACT.encode(value), canonical(part)
    return orjson.dumps(value, option=_SORTED), fast.decode(), orjson.dumps(part, option=_SORTED)
