"""What a hostile caller sends: text no store can hold, edges of the calendar, numbers that are
not numbers, cursors the API never gave out. Shared by the fuzz tests of writes and reads."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

UNACCEPTABLE_CHARACTERS = [
    "\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9f",
    "\ud800", "\udfff", "\ufdd0", "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff",
]  # fmt: skip
EDGE_MOMENTS = [
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59.999999+00:00",
    "0001-01-01",
    "9999-12-31",
    "2021-12-10T00:00:00+23:59",
    "2021-12-1\u0660",
    "\u0662\u0660\u0662\u0661-12-10",
    "2021-02-30",
    "+2021-12-10",
]
NOT_NUMBERS = ["\u00b2", "\u0661\u0662", "1\u00b2", "\uff11", "99999999999999999999999", "-1"]


def _cursor(state: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


DAY = "2021-12-10T00:00:00+00:00"
FORGED_CURSORS = [
    _cursor({"after": "", "as_of": DAY, "known_at": "now", "position": p})
    for p in (-1, 2**63, 10**30, 99999)
] + [
    _cursor({"after": "\x00", "as_of": DAY, "known_at": "now", "position": 1}),
    _cursor({"after": "", "as_of": "9999-12-31T23:59:59-01:00", "known_at": "now", "position": 1}),
    _cursor({"after": "", "as_of": "2021-12-10", "known_at": "\ud800", "position": 1}),
    _cursor({"after": "", "as_of": "2021-12-10", "known_at": "now", "position": "1"}),
    _cursor({"after": 5, "since": {}, "until": []}),
    _cursor({"after": "", "since": {"position": -5}, "until": {"position": 2**70}}),
    _cursor([1, 2, 3]),
    "!!!not-base64!!!",
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
]  # fmt: skip


def poisoned_text() -> st.SearchStrategy[str]:
    """Ordinary text with at least one character the ledger refuses somewhere in it."""
    return st.builds(
        lambda before, bad, after: before + bad + after,
        st.text(max_size=8),
        st.sampled_from(UNACCEPTABLE_CHARACTERS)
        | st.characters(codec=None, categories=["Cc", "Cs"]).filter(lambda c: c not in "\t\n\r"),
        st.text(max_size=8),
    )


def hostile_text(*, huge: bool = True) -> st.SearchStrategy[str]:
    """Hostile text; ``huge=False`` keeps it short enough for a URL (clients refuse more)."""
    longest = 100_000 if huge else 1_500
    return (
        poisoned_text()
        | st.sampled_from(EDGE_MOMENTS + NOT_NUMBERS + FORGED_CURSORS)
        | st.sampled_from(["position:\u00b2", "position:\u0661", "position:-1", "position:"])
        | st.builds(lambda n: "position:" + "9" * n, st.integers(19, 40))
        | st.sampled_from(["A" * longest, "|", "%", "_", "!", "||", "...", "--", " "])
    )


def hostile_value() -> st.SearchStrategy[Any]:
    """Anything a JSON field could be given."""
    return (
        hostile_text()
        | st.sampled_from([None, True, -1, 2**64, 1e308, [], {}, ["\x00"], {"\x00": 1}])
        | st.builds(lambda t: {"value": t}, poisoned_text())
    )


def body_bytes(document: Any) -> bytes:
    """JSON as a client could send it: lone surrogates escaped (a UTF-8 encoder cannot
    write them raw)."""
    return json.dumps(document, ensure_ascii=True).encode()


def query_string(params: dict[str, str]) -> str:
    """A query string that carries any text, lone surrogates included, as percent-encoded
    bytes."""
    return "&".join(
        f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
        for name, value in params.items()
    )
