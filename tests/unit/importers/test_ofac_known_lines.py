"""Lines known from the file read before: read again without parsing, and never taken where
the file itself is at fault."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.importers import legacy_csv
from application.importers.ofac_csv import SdnRow, iter_sdn_rows, sdn_table
from application.importers.records import MalformedPublication
from tests.support.sdn_rows import BANK, NULLS, SOIN, published
from tests.unit.importers.test_ofac_csv import TITLED, VESSEL

SPREAD = BANK.replace("CUBA]", "CU\r\nBA]")
"""A row written over two lines (a line break inside quotes)."""
OPENS_A_CELL = f'77,"OPEN",-0- ,"SDGT",{NULLS},"starts here\r\n'
"""The first line of a row whose last cell goes on over the next lines."""
PLAIN = f"5,PLAIN NAME,-0- ,SDGT,{NULLS},-0- "
"""A row without quotes: it can stand inside a quoted cell as it is."""

Outcome = tuple[list[SdnRow], tuple[int, str] | None]
Files = st.SearchStrategy[bytes]


def read(data: bytes) -> Outcome:
    """Every row of a file up to its fault, and the fault (line, message) if any."""
    rows: list[SdnRow] = []
    try:
        for row in iter_sdn_rows(io.BytesIO(data)):
            rows.append(row)
    except MalformedPublication as fault:
        return rows, (fault.line, fault.message)
    return rows, None


def test_a_copy_read_after_another_gives_the_same_rows_and_texts() -> None:
    first = published(BANK, SOIN, VESSEL).getvalue()
    read(first)
    legacy_csv._KNOWN_LINES.clear()
    alone, _ = read(published(SOIN, TITLED, BANK).getvalue())

    read(first)
    after, fault = read(published(SOIN, TITLED, BANK).getvalue())

    assert fault is None
    assert after == alone
    assert [row.text for row in after] == [SOIN + "\r\n", TITLED + "\r\n", BANK + "\r\n"]


def test_a_known_line_given_twice_in_a_copy_is_refused() -> None:
    read(published(BANK, SOIN).getvalue())

    _, fault = read(published(BANK, SOIN, BANK).getvalue())

    assert fault == (3, "ent_num 306 was already given on line 1")


def test_a_known_line_inside_a_quoted_cell_is_part_of_that_cell() -> None:
    read(published(PLAIN, SOIN).getvalue())

    rows, fault = read(published(OPENS_A_CELL + PLAIN + '\r\n"', VESSEL).getvalue())

    assert fault is None
    assert [(row.line, row.reference) for row in rows] == [(1, "77"), (4, "4243")]
    assert rows[0].cells[-1] == "starts here\r\n" + PLAIN + "\r\n"


def test_a_known_line_after_the_end_marker_is_refused() -> None:
    read(published(BANK, SOIN).getvalue())

    _, fault = read(published(BANK).getvalue() + b"\r\n" + (SOIN + "\r\n").encode("latin-1"))

    assert fault is not None
    assert fault[0] == 3
    assert "after the end" in fault[1]


def test_a_known_line_cut_at_the_end_of_a_copy_is_refused() -> None:
    read(published(BANK, SOIN).getvalue())

    _, fault = read((BANK + "\r\n" + SOIN).encode("latin-1"))

    assert fault == (2, "the last row has no line break: the file is truncated")


def test_a_row_over_several_lines_keeps_its_text_from_copy_to_copy() -> None:
    first, _ = read(published(SPREAD, SOIN).getvalue())
    again, _ = read(published(SOIN, SPREAD).getvalue())

    assert first[0].text == again[1].text == "\x00".join(first[0].cells)
    assert (first[0].line, again[1].line) == (1, 2)


def test_only_the_lines_of_the_last_copy_read_whole_are_kept() -> None:
    read(published(BANK, SOIN).getvalue())
    read(published(VESSEL, SOIN).getvalue())
    read(published(TITLED, SOIN, end="").getvalue())  # refused: what it read is not kept

    assert set(legacy_csv._KNOWN_LINES[12]) == {VESSEL + "\r\n", SOIN + "\r\n"}


LINES = [
    BANK,
    SOIN,
    VESSEL,
    PLAIN,
    OPENS_A_CELL + PLAIN + '\r\n"',
    TITLED,
    SPREAD,
    OPENS_A_CELL + '"',
    SOIN.replace("Male", "Ma\x00le"),
    '7,"NAME",-0- ,"SDGT"',
    '9,"GARBAGE"x,-0- ,"SDGT"',
    "",
]


def copies(lines: list[str] = LINES, newlines: tuple[str, ...] = ("\r\n", "\n")) -> Files:
    """Files of rows good and bad, in any order, ended in any way."""
    return st.builds(
        lambda rows, newline, end: ("".join(r + newline for r in rows) + end).encode("latin-1"),
        st.lists(st.sampled_from(lines), max_size=8),
        st.sampled_from(newlines),
        st.sampled_from(["\x1a", "", "\x1a\r\n" + BANK]),
    )


@pytest.fixture(autouse=True)
def _nothing_known_before_or_after() -> object:
    legacy_csv._KNOWN_LINES.clear()
    yield
    legacy_csv._KNOWN_LINES.clear()


def read_at_once(data: bytes) -> Outcome:
    """What ``sdn_table`` gives for a file: every row, or none and the fault."""
    try:
        table = sdn_table(io.BytesIO(data))
    except MalformedPublication as fault:
        return [], (fault.line, fault.message)
    return [table.row(index) for index in range(len(table.references))], None


ODD_LINES = [
    *LINES,
    SOIN.replace("Male", "Ma\x85le"),  # a line break to ``str.splitlines``, not to a reader
    BANK.replace("CUBA]", "CU\x0cBA]"),
    VESSEL.replace(",", ",\r", 1),  # a bare CR ends a line
]


def odd_copies() -> Files:
    """Files as ``copies``, with rows of line breaks of every kind."""
    return copies(ODD_LINES, ("\r\n", "\n", "\r"))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=odd_copies(), copy=odd_copies())
def test_a_copy_read_at_once_gives_what_reading_it_row_by_row_gives(
    before: bytes, copy: bytes
) -> None:
    legacy_csv._KNOWN_LINES.clear()
    read(before)
    rows, fault = read(copy)
    legacy_csv._KNOWN_LINES.clear()
    read(before)  # the same lines known as for the reading row by row

    assert read_at_once(copy) == ([] if fault else rows, fault)


@pytest.mark.parametrize("reading", [read, read_at_once], ids=["row by row", "at once"])
@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=odd_copies(), copy=odd_copies())
def test_what_a_copy_gives_does_not_depend_on_the_copy_read_before(
    reading: Callable[[bytes], Outcome], before: bytes, copy: bytes
) -> None:
    legacy_csv._KNOWN_LINES.clear()
    alone = reading(copy)

    reading(before)
    after = reading(copy)

    assert after == alone


def test_a_key_given_twice_is_named_before_a_later_broken_row() -> None:
    copy = published(BANK, SOIN, BANK, '9,"GARBAGE"x,-0- ,"SDGT"').getvalue()

    assert read_at_once(copy) == ([], (3, "ent_num 306 was already given on line 1"))
    assert read(copy)[1] == (3, "ent_num 306 was already given on line 1")


def test_a_line_too_long_is_refused_alike_read_at_once() -> None:
    long_cell = "A" * legacy_csv._MAX_LINE_CHARS
    copy = published(SOIN, f'7,"{long_cell}",-0- ,"SDGT",{NULLS},-0- ').getvalue()

    fault = read(copy)[1]
    assert fault == (2, "line too long")
    assert read_at_once(copy) == ([], fault)
