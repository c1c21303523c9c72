"""The OFAC legacy CSV files: entries, aliases, addresses, and files that must be refused."""

from __future__ import annotations

import io
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import pytest

from application.importers.ofac_csv import iter_sdn_entries, read_add, read_alt
from application.importers.records import (
    ListEntry,
    MalformedPublication,
    ParsedAddress,
    ParsedIdentifier,
    ParsedName,
)
from tests.unit.importers.conftest import SDN_BEFORE, SDN_HUMAN_RIGHTS_DAY, SDN_NEWEST

NULLS = "-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- "
SOIN = (
    '34021,"SOIN, Dmitriy Yurevich","individual","DPRK3",' + NULLS + ',"DOB 07 Aug 1969; '
    "nationality Russia; Gender Male; Passport 7512345 (Russia) expires 03 Mar 2030; "
    "a.k.a. 'DIMA'; Linked To: EUROPEAN INSTITUTE JUSTO.\""
)
BANK = '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA] [SDGT",' + NULLS + ",\"a.k.a. 'BNC'.\""
VESSEL = (
    '4243,"EBANO","vessel","CUBA",-0- ,"CL2192","General Cargo","2595","1865","Panama",-0- ,'
    "\"Vessel Registration Identification IMO 7406784; f.k.a. 'ANA I'.\""
)
TITLED = (
    '2674,"ABBAS, Abu","individual","SDGT","Director of PLF",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"DOB 10 Dec 1948; Director of PLF; Colonel."'
)


def published(*rows: str, newline: str = "\r\n", end: str = "\x1a") -> io.BytesIO:
    """A file as OFAC publishes it: latin-1 rows, each ended by CR LF, then 0x1A."""
    return io.BytesIO(("".join(row + newline for row in rows) + end).encode("latin-1"))


def parse(
    stream: BinaryIO,
    *,
    aliases: Mapping[str, Sequence[ParsedName]] | None = None,
    addresses: Mapping[str, Sequence[ParsedAddress]] | None = None,
    require_end_marker: bool = True,
) -> list[ListEntry]:
    """All entries of a file, consumed to the end as callers must."""
    entries = iter_sdn_entries(
        stream, aliases=aliases, addresses=addresses, require_end_marker=require_end_marker
    )
    return list(entries)


def entries_of(
    path: Path,
    *,
    aliases: Mapping[str, Sequence[ParsedName]] | None = None,
    addresses: Mapping[str, Sequence[ParsedAddress]] | None = None,
) -> dict[str, ListEntry]:
    """The entries of a real copy by reference."""
    with path.open("rb") as stream:
        entries = parse(stream, aliases=aliases, addresses=addresses)
    return {entry.reference: entry for entry in entries}


def test_a_row_becomes_an_entry_with_the_remarks_parsed() -> None:
    (entry,) = parse(published(SOIN))

    assert entry.reference == "34021"
    assert entry.subject_kind == "person"
    assert entry.names == (
        ParsedName("SOIN, Dmitriy Yurevich", "primary"),
        ParsedName("DIMA", "weak_aka"),
    )
    assert entry.programs == ("DPRK3",)
    assert entry.birth_dates == ("1969-08-07",)
    assert entry.nationalities == ("Russia",)
    assert entry.gender == "Male"
    assert entry.identifiers == (
        ParsedIdentifier("passport", "7512345", "Russia", "expires 03 Mar 2030"),
    )
    assert entry.links == ("EUROPEAN INSTITUTE JUSTO",)
    assert (entry.title, entry.listed_on, entry.remarks, entry.details) == (None, None, None, ())
    assert entry.line == 1


def test_entries_know_the_line_they_start_on() -> None:
    entries = parse(published(BANK, SOIN, VESSEL))

    assert [(entry.reference, entry.line) for entry in entries] == [
        ("306", 1),
        ("34021", 2),
        ("4243", 3),
    ]


def test_a_quoted_line_break_moves_the_next_entries_down() -> None:
    broken = BANK.replace("CUBA]", "CU\r\nBA]")

    entries = parse(published(broken, SOIN))

    assert [entry.line for entry in entries] == [1, 3]
    assert entries[0].programs == ("CU\r\nBA", "SDGT")


@pytest.mark.parametrize(
    ("sdn_type", "kind"),
    [
        ("individual", "person"),
        ("vessel", "vessel"),
        ("aircraft", "aircraft"),
        ("-0- ", "organization"),
    ],
)
def test_sdn_type_gives_the_subject_kind(sdn_type: str, kind: str) -> None:
    row = f'7,"NAME",{sdn_type},"SDGT",{NULLS},-0- '

    assert parse(published(row))[0].subject_kind == kind


def test_shared_program_fields_are_split_and_sorted() -> None:
    row = f'7,"NAME",-0- ,"SDGT] [IRGC] [IFSR",{NULLS},-0- '

    assert parse(published(row))[0].programs == ("IFSR", "IRGC", "SDGT")


def test_vessel_columns_become_details_unless_empty() -> None:
    (entry,) = parse(published(VESSEL))

    assert entry.details == (
        ("call_sign", "CL2192"),
        ("vessel_type", "General Cargo"),
        ("tonnage", "2595"),
        ("grt", "1865"),
        ("vessel_flag", "Panama"),
    )
    assert entry.identifiers == (ParsedIdentifier("imo", "7406784", None, None),)
    assert entry.names[1] == ParsedName("ANA I", "fka")


def test_the_title_is_not_repeated_in_the_remarks() -> None:
    (entry,) = parse(published(TITLED))

    assert entry.title == "Director of PLF"
    assert entry.remarks == "Colonel"


def test_names_come_primary_then_alt_csv_then_remarks_each_once() -> None:
    aliases = {
        "34021": [
            ParsedName("SOIN, Dmitry Yuryevich", "aka"),
            ParsedName("DIMA", "aka"),
            ParsedName("SOIN, Dmitriy Yurevich", "aka"),
        ]
    }

    (entry,) = parse(published(SOIN), aliases=aliases)

    assert entry.names == (
        ParsedName("SOIN, Dmitriy Yurevich", "primary"),
        ParsedName("SOIN, Dmitry Yuryevich", "aka"),
        ParsedName("DIMA", "aka"),
    )


def test_addresses_come_from_the_add_mapping() -> None:
    addresses = {"306": [ParsedAddress("Zweierstrasse 35, Zurich CH-8022", "Switzerland")]}

    entries = parse(published(BANK, SOIN), addresses=addresses)

    assert [entry.addresses for entry in entries] == [(addresses["306"][0],), ()]


def test_files_with_lf_line_ends_are_read_alike() -> None:
    (entry,) = parse(published(SOIN, newline="\n"))

    assert entry.reference == "34021"


def test_the_callers_stream_stays_open() -> None:
    stream = published(SOIN)

    parse(stream)

    assert not stream.closed


def test_entries_are_streamed_not_read_all_at_once() -> None:
    rows = [f'{number},"NAME {number}",-0- ,"SDGT",{NULLS},-0- ' for number in range(1, 20001)]
    stream = published(*rows)

    first = next(iter_sdn_entries(stream))

    assert first.reference == "1"
    assert stream.tell() < len(stream.getvalue()) / 10


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


def test_read_alt_groups_strong_aliases_by_ent_num_in_file_order() -> None:
    stream = published(
        '34021,53315,aka,"SOIN, Dmitry Yuryevich",-0- ',
        "4243,1001,fka,ANA I,-0- ",
        '34021,53316,nka,"SOYIN, Dmitriy Yuryevich",',
        newline="\n",
        end="",
    )

    assert read_alt(stream) == {
        "34021": [
            ParsedName("SOIN, Dmitry Yuryevich", "aka"),
            ParsedName("SOYIN, Dmitriy Yuryevich", "nka"),
        ],
        "4243": [ParsedName("ANA I", "fka")],
    }


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("1,2,weak,NAME,-0- ", "unknown alt_type 'weak'"),
        ("1,2,aka,-0- ,-0- ", "alt_name is empty"),
        ("1,X,aka,NAME,-0- ", "alt_num 'X' is not a number"),
        ("1,1,aka,NAME,-0- ", "alt_num 1 was already given on line 1"),
    ],
)
def test_read_alt_refuses_malformed_rows(row: str, message: str) -> None:
    stream = published("1,1,aka,FIRST,-0- ", row, newline="\n", end="")

    with pytest.raises(MalformedPublication, match=f"alt.csv, line 2: {message}"):
        read_alt(stream)


def test_read_add_joins_the_address_and_skips_rows_that_say_nothing() -> None:
    stream = published(
        '306,199,"Zweierstrasse 35","Zurich CH-8022","Switzerland",-0- ',
        "306,200,-0- ,-0- ,-0- ,-0- ",
        '2677,1835,-0- ,-0- ,"Egypt",-0- ',
        '36,25,-0- ,"Havana","Cuba","head office"',
    )

    assert read_add(stream) == {
        "306": [ParsedAddress("Zweierstrasse 35, Zurich CH-8022", "Switzerland")],
        "2677": [ParsedAddress("", "Egypt")],
        "36": [ParsedAddress("Havana; head office", "Cuba")],
    }


# Real published copies (skipped when the shared data folder is absent).


def test_every_dated_copy_ends_with_crlf_and_the_end_marker(sdn_history: Path) -> None:
    for name in (SDN_BEFORE, SDN_HUMAN_RIGHTS_DAY, SDN_NEWEST):
        assert (sdn_history / name).read_bytes().endswith(b"\r\n\x1a")


def test_soin_as_designated_on_human_rights_day(sdn_history: Path) -> None:
    soin = entries_of(sdn_history / SDN_HUMAN_RIGHTS_DAY)["34021"]

    assert soin.names[0] == ParsedName("SOIN, Dmitriy Yurevich", "primary")
    assert soin.subject_kind == "person"
    assert soin.programs == ("DPRK3",)
    assert soin.birth_dates == ("1969-08-07",)
    assert soin.nationalities == ("Russia",)
    assert soin.links == ("EUROPEAN INSTITUTE JUSTO",)
    assert soin.line == 9099


def test_aliases_and_addresses_of_the_2022_set_join_the_entry(
    sdn_history: Path, ofac_set: Path
) -> None:
    with (ofac_set / "alt.csv").open("rb") as alt, (ofac_set / "add.csv").open("rb") as add:
        aliases, addresses = read_alt(alt), read_add(add)

    soin = entries_of(sdn_history / SDN_HUMAN_RIGHTS_DAY, aliases=aliases, addresses=addresses)[
        "34021"
    ]

    assert ParsedName("SOIN, Dmitry Yuryevich", "aka") in soin.names
    assert ParsedName("SOYIN, Dmitriy Yuryevich", "aka") in soin.names
    assert soin.addresses == (ParsedAddress("Moscow", "Russia"),)
    assert sum(map(len, aliases.values())) == 12409
    assert sum(map(len, addresses.values())) == 13625 - 2328  # rows that are all -0-


def test_human_rights_day_added_25_entries_and_removed_none(sdn_history: Path) -> None:
    before = entries_of(sdn_history / SDN_BEFORE)
    after = entries_of(sdn_history / SDN_HUMAN_RIGHTS_DAY)

    assert len(after.keys() - before.keys()) == 25
    assert before.keys() - after.keys() == set()
    assert "34021" in after.keys() - before.keys()


def test_the_newest_copy_parses_whole(sdn_history: Path) -> None:
    entries = entries_of(sdn_history / SDN_NEWEST)

    assert len(entries) == 14965
    assert {entry.subject_kind for entry in entries.values()} == {
        "person",
        "organization",
        "vessel",
        "aircraft",
    }


@pytest.mark.parametrize("cut", ["row boundary", "mid-row"])
def test_a_truncated_real_copy_is_refused_naming_where_it_ends(sdn_history: Path, cut: str) -> None:
    lines = (sdn_history / SDN_HUMAN_RIGHTS_DAY).read_bytes().split(b"\r\n")
    data = b"\r\n".join(lines[:5000]) + b"\r\n"
    if cut == "mid-row":
        data += lines[5000][:50]

    with pytest.raises(MalformedPublication, match=r"line 5001: .*truncated"):
        parse(io.BytesIO(data))


def test_a_corrupted_real_row_is_refused_naming_its_line(sdn_history: Path) -> None:
    lines = (sdn_history / SDN_HUMAN_RIGHTS_DAY).read_bytes().split(b"\r\n")
    lines[4240] = lines[4240].replace(b",-0- ,", b",", 1)

    with pytest.raises(MalformedPublication, match="line 4241: expected 12 columns, found 11"):
        parse(io.BytesIO(b"\r\n".join(lines)))


def test_the_2022_set_sdn_csv_repeats_an_ent_num_and_is_refused(ofac_set: Path) -> None:
    with (
        (ofac_set / "sdn.csv").open("rb") as stream,
        pytest.raises(MalformedPublication, match="line 9044: ent_num 2677 was already given"),
    ):
        parse(stream, require_end_marker=False)
