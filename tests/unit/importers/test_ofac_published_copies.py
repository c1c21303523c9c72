"""Real published copies of OFAC's ``sdn.csv``, ``alt.csv`` and ``add.csv`` read whole, cut
short or corrupted (skipped when the shared data folder is absent)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from application.importers.ofac_csv import read_add, read_alt
from application.importers.records import ListEntry, MalformedPublication, ParsedAddress, ParsedName
from tests.support.sdn_rows import parse
from tests.unit.importers.conftest import SDN_BEFORE, SDN_HUMAN_RIGHTS_DAY, SDN_NEWEST


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
