"""OFAC's legacy CSV files read into entries: ``sdn.csv`` rows (kinds, programs, vessel details,
remarks, lines, streaming), joined with the aliases of ``alt.csv`` and the addresses of
``add.csv``, which are read and checked on their own too."""

from __future__ import annotations

import pytest

from application.importers.ofac_csv import iter_sdn_entries, read_add, read_alt
from application.importers.records import (
    MalformedPublication,
    ParsedAddress,
    ParsedIdentifier,
    ParsedName,
)
from tests.support.sdn_rows import BANK, NULLS, SOIN, parse, published

VESSEL = (
    '4243,"EBANO","vessel","CUBA",-0- ,"CL2192","General Cargo","2595","1865","Panama",-0- ,'
    "\"Vessel Registration Identification IMO 7406784; f.k.a. 'ANA I'.\""
)
TITLED = (
    '2674,"ABBAS, Abu","individual","SDGT","Director of PLF",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"DOB 10 Dec 1948; Director of PLF; Colonel."'
)


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
