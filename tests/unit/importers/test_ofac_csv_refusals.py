"""OFAC's ``sdn.csv`` trusted whole or not at all: a malformed row, a control character, a copy
cut short or without its end marker, data after the marker, each refused naming its line;
unprintable text that holds no control character is taken."""

from __future__ import annotations

import io
import pickle

import pytest

from application.importers.ofac_csv import iter_sdn_entries
from application.importers.records import MalformedPublication
from tests.support.sdn_rows import BANK, NULLS, SOIN, parse, published


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        ([BANK, '7,"NAME",-0- ,"SDGT"'], 2, "expected 12 columns, found 4"),
        ([BANK, SOIN.replace("34021", "34O21")], 2, "ent_num '34O21' is not a number"),
        ([BANK, SOIN, BANK], 3, "ent_num 306 was already given on line 1"),
        ([BANK, SOIN, " " + BANK], 3, "ent_num 306 was already given on line 1"),
        ([" " + BANK, SOIN, BANK], 3, "ent_num 306 was already given on line 1"),
        ([BANK, f"8,-0- ,-0- ,-0- ,{NULLS},-0- "], 2, "SDN_Name is empty"),
        ([BANK, f'8,"X","person","SDGT",{NULLS},-0- '], 2, "unknown SDN_Type 'person'"),
        ([BANK, SOIN.replace("Male", "Ma\x00le")], 2, "control characters in a cell"),
        ([SOIN, '9,"UNTERMINATED,-0- ,SDGT'], 2, "unexpected end of data"),
        ([SOIN, '9,"GARBAGE"x,-0- ,"SDGT"'], 2, "invalid CSV"),
    ],
)
def test_a_malformed_row_is_refused_naming_its_line(
    rows: list[str], line: int, message: str
) -> None:
    with pytest.raises(MalformedPublication) as refused:
        parse(published(*rows))

    assert refused.value.line == line
    assert message in refused.value.message
    assert str(refused.value).startswith(f"sdn.csv, line {line}: ")


CONTROL_CHARACTERS = [
    chr(code) for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
]


@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=lambda c: f"{ord(c):#04x}")
def test_every_control_character_in_a_cell_is_refused(character: str) -> None:
    with pytest.raises(MalformedPublication, match="line 2: control characters in a cell"):
        parse(published(BANK, SOIN.replace("Male", f"Ma{character}le")))


@pytest.mark.parametrize("character", ["\t", "\xa0", "\xad", "\xe9", "\xff"])
def test_unprintable_text_that_holds_no_control_character_is_taken(character: str) -> None:
    """A tab, a no-break space or a soft hyphen is no printable text, yet no control
    character either: the row is taken as it is."""
    entries = parse(published(BANK, SOIN.replace("Male", f"Ma{character}le")))

    assert len(entries) == 2


def test_a_refusal_keeps_its_parts_across_processes() -> None:
    refusal = MalformedPublication("sdn.csv", 7, "expected 12 columns, found 4")

    copy = pickle.loads(pickle.dumps(refusal))

    assert (copy.source, copy.line, copy.message) == ("sdn.csv", 7, "expected 12 columns, found 4")
    assert str(copy) == "sdn.csv, line 7: expected 12 columns, found 4"


def test_a_copy_cut_at_a_row_boundary_is_refused_for_its_missing_end_marker() -> None:
    with pytest.raises(MalformedPublication, match=r"line 3: .*end-of-file marker"):
        parse(published(BANK, SOIN, end=""))


def test_a_copy_cut_inside_a_row_is_refused_even_without_end_marker() -> None:
    cut = published(BANK, SOIN, end="").getvalue()[:-60]

    with pytest.raises(MalformedPublication, match=r"line 2: .*truncated"):
        parse(io.BytesIO(cut), require_end_marker=False)


def test_a_copy_cut_at_a_row_boundary_passes_when_the_marker_is_not_required() -> None:
    entries = parse(published(BANK, SOIN, newline="\n", end=""), require_end_marker=False)

    assert [entry.reference for entry in entries] == ["306", "34021"]


def test_entries_before_the_fault_are_yielded_so_callers_must_consume_all() -> None:
    entries = iter_sdn_entries(published(BANK, SOIN, end=""))

    assert next(entries).reference == "306"
    assert next(entries).reference == "34021"
    with pytest.raises(MalformedPublication):
        next(entries)


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b"", 1, "end-of-file marker"),
        (b"\x1a", 1, "no rows"),
        (published(BANK).getvalue() + b"\r\n" + published(SOIN).getvalue(), 3, "after the end"),
    ],
)
def test_empty_files_and_data_after_the_marker_are_refused(
    data: bytes, line: int, message: str
) -> None:
    with pytest.raises(MalformedPublication) as refused:
        parse(io.BytesIO(data))

    assert (refused.value.line, message in refused.value.message) == (line, True)
