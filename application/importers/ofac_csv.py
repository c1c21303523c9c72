"""Streaming parser for OFAC's legacy CSV files: ``sdn.csv``, ``alt.csv`` and ``add.csv``.

The files have no header; ``sdn.csv`` has 12 columns ``ent_num, SDN_Name, SDN_Type, Program,
Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks``, ``alt.csv`` has
``ent_num, alt_num, alt_type, alt_name, alt_remarks`` and ``add.csv`` has ``ent_num, add_num,
address, city/state/postal, country, add_remarks``. They are latin-1 text, ``-0-`` (often
``-0- ``) means empty, and several programs share one field as ``SDGT] [IRGC``.

A list file is trusted whole or not at all: recording half of it would make the other half
look delisted. Every row is therefore checked (column count, numeric and unique keys, a name,
no control characters, valid quoting) and the end of the file too (the rows' shape, the end
of the file and the lines already known from the file before: ``legacy_csv``). All 308
published copies of ``sdn.csv`` (2021-08 to 2024-05) end with CR LF and then one 0x1A byte
(the old DOS end-of-file mark), so a copy cut anywhere, even exactly at a row boundary, lacks
it: ``iter_sdn_entries`` requires it by default. The 2022-01-31 ``sdn.csv``/``alt.csv`` set
was saved without it; for such files pass ``require_end_marker=False``, and only a cut inside
a row (no final line break, an open quote, a short row) can then be detected.

The parsers stream, so a fault is found where it is read: a truncated file raises
``MalformedPublication`` only at the end, after the earlier entries were yielded. Callers must
consume the whole iterator before acting on any entry, and record nothing from a file that
fails.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import BinaryIO, Final, NamedTuple

from application.importers.legacy_csv import CsvRows, RowTable
from application.importers.ofac_remarks import parse_remarks
from application.importers.records import (
    ListEntry,
    MalformedPublication,
    NameTypeName,
    ParsedAddress,
    ParsedName,
    SubjectKindName,
    unique_in_order,
    unique_names,
)

_NULL: Final = "-0-"
_SUBJECT_KINDS: Final[Mapping[str | None, SubjectKindName]] = {
    "individual": "person",
    "vessel": "vessel",
    "aircraft": "aircraft",
    None: "organization",
}
_ALIAS_TYPES: Final[Mapping[str, NameTypeName]] = {"aka": "aka", "fka": "fka", "nka": "nka"}
_VESSEL_LABELS: Final = (
    "call_sign",
    "vessel_type",
    "tonnage",
    "grt",
    "vessel_flag",
    "vessel_owner",
)


def iter_sdn_entries(
    stream: BinaryIO,
    *,
    source: str = "sdn.csv",
    aliases: Mapping[str, Sequence[ParsedName]] | None = None,
    addresses: Mapping[str, Sequence[ParsedAddress]] | None = None,
    require_end_marker: bool = True,
) -> Iterator[ListEntry]:
    """Yield the entries of an ``sdn.csv`` one by one, in file order.

    ``aliases`` and ``addresses`` are what ``read_alt`` and ``read_add`` return for the same
    publication. Names come in this order: the primary name, the strong aliases of
    ``alt.csv``, then the weak and former names of the remarks (OFAC's own order in its text
    publications), each name text once. ``require_end_marker`` (default True: every dated
    copy ends with 0x1A) refuses a file that stops without it. Raises
    ``MalformedPublication`` for the first fault; see the module docstring on why callers must
    consume everything first.
    """
    for row in iter_sdn_rows(stream, source=source, require_end_marker=require_end_marker):
        yield row.entry(aliases, addresses)


class SdnRow(NamedTuple):
    """One checked row of ``sdn.csv``, not parsed further yet: an importer that has seen the
    same row before can skip the costly reading of its remarks. (A tuple: a history of
    copies makes millions, and a frozen dataclass took a fifth of the time to read a row.)"""

    line: int
    reference: str
    cells: tuple[str, ...]
    source: str
    text: str
    """The row's text, the same for the same cells written the same way: its line, or for a
    row written over several lines its cells joined with NUL (which no line holds)."""

    def entry(
        self,
        aliases: Mapping[str, Sequence[ParsedName]] | None = None,
        addresses: Mapping[str, Sequence[ParsedAddress]] | None = None,
    ) -> ListEntry:
        return _sdn_entry(
            list(self.cells),
            reference=self.reference,
            line=self.line,
            source=self.source,
            aliases=(aliases or {}).get(self.reference, ()),
            addresses=(addresses or {}).get(self.reference, ()),
        )


def iter_sdn_rows(
    stream: BinaryIO, *, source: str = "sdn.csv", require_end_marker: bool = True
) -> Iterator[SdnRow]:
    """The rows of an ``sdn.csv``, checked for shape and unique ``ent_num`` but not parsed."""
    keys = _UniqueKeys(source, "ent_num")
    rows = CsvRows(stream, source, width=12, require_end_marker=require_end_marker)
    for line, cells, text in rows:
        yield SdnRow(line, keys.add(cells[0], line), cells, source, text)


class SdnTable(NamedTuple):
    """The checked rows of an ``sdn.csv`` as ``iter_sdn_rows`` gives them, all at once, in
    lists: the importer of a history of copies looks at millions of rows, nearly all of them
    the same as in the copy before, and takes them a list at a time."""

    references: list[str]
    rows: RowTable
    source: str

    def row(self, index: int) -> SdnRow:
        rows = self.rows
        return SdnRow(
            rows.lines[index],
            self.references[index],
            rows.cells[index],
            self.source,
            rows.texts[index],
        )


def sdn_table(
    stream: BinaryIO, *, source: str = "sdn.csv", require_end_marker: bool = True
) -> SdnTable:
    """Every row of an ``sdn.csv`` (``iter_sdn_rows``), or the file's first fault."""
    csv_rows = CsvRows(stream, source, width=12, require_end_marker=require_end_marker)
    rows, fault = csv_rows.read_whole()
    references = _checked_keys(rows, source)  # a key's fault comes before a later row's
    if fault is not None:
        raise fault
    return SdnTable(references, rows, source)


def _checked_keys(rows: RowTable, source: str) -> list[str]:
    """Each row's ``ent_num``, checked as ``iter_sdn_rows`` checks them: all at once where
    every one is plain digits, given once (nearly every file), else row by row for the
    first fault."""
    firsts = [cells[0] for cells in rows.cells]
    digits = "".join(firsts)
    if all(firsts) and digits.isascii() and digits.isdigit() and len(set(firsts)) == len(firsts):
        return firsts
    keys = _UniqueKeys(source, "ent_num")
    return [keys.add(cell, line) for cell, line in zip(firsts, rows.lines, strict=True)]


def read_alt(
    stream: BinaryIO, *, source: str = "alt.csv", require_end_marker: bool = False
) -> dict[str, list[ParsedName]]:
    """Read ``alt.csv``: the strong aliases of each ``ent_num``, in file order.

    ``alt_type`` gives aka/fka/nka. ``alt_remarks`` is not kept: it is ``-0-`` in every
    published row (OFAC keeps weak aliases in the ``sdn.csv`` remarks, not here). A final
    0x1A is accepted but not required: the 2022-01-31 ``alt.csv`` has none.
    """
    names: dict[str, list[ParsedName]] = {}
    keys = _UniqueKeys(source, "alt_num")
    for line, row, _ in CsvRows(stream, source, width=5, require_end_marker=require_end_marker):
        owner = _key(row[0], "ent_num", source, line)
        keys.add(row[1], line)
        name_type = _ALIAS_TYPES.get(row[2].strip())
        if name_type is None:
            raise MalformedPublication(source, line, f"unknown alt_type {row[2]!r}")
        value = _required(row[3], "alt_name", source, line)
        names.setdefault(owner, []).append(ParsedName(value=value, type=name_type))
    return names


def read_add(
    stream: BinaryIO, *, source: str = "add.csv", require_end_marker: bool = False
) -> dict[str, list[ParsedAddress]]:
    """Read ``add.csv``: the addresses of each ``ent_num``, in file order.

    The text joins address and city/state/postal with ", " and appends ``add_remarks`` after
    "; "; a row whose fields are all ``-0-`` says nothing and gives no address. A final 0x1A
    is accepted but not required.
    """
    addresses: dict[str, list[ParsedAddress]] = {}
    keys = _UniqueKeys(source, "add_num")
    for line, row, _ in CsvRows(stream, source, width=6, require_end_marker=require_end_marker):
        owner = _key(row[0], "ent_num", source, line)
        keys.add(row[1], line)
        street, city, country, remarks = (_value(cell) for cell in row[2:])
        place = ", ".join(part for part in (street, city) if part)
        text = "; ".join(part for part in (place, remarks) if part)
        if text or country:
            addresses.setdefault(owner, []).append(ParsedAddress(text=text, country=country))
    return addresses


def _sdn_entry(
    row: list[str],
    *,
    reference: str,
    line: int,
    source: str,
    aliases: Sequence[ParsedName],
    addresses: Sequence[ParsedAddress],
) -> ListEntry:
    """Build the entry of one ``sdn.csv`` row whose ``ent_num`` was already checked."""
    name = _required(row[1], "SDN_Name", source, line)
    sdn_type = _value(row[2])
    if sdn_type not in _SUBJECT_KINDS:
        raise MalformedPublication(source, line, f"unknown SDN_Type {row[2]!r}")
    title = _value(row[4])
    facts = parse_remarks(_value(row[11]) or "", title=title)
    vessel = [
        (label, value)
        for label, cell in zip(_VESSEL_LABELS, row[5:11], strict=True)
        if (value := _value(cell))
    ]
    return ListEntry(
        reference=reference,
        subject_kind=_SUBJECT_KINDS[sdn_type],
        names=unique_names([ParsedName(value=name, type="primary"), *aliases, *facts.aliases]),
        programs=_programs(row[3]),
        birth_dates=unique_in_order(facts.birth_dates),
        birth_places=unique_in_order(facts.birth_places),
        nationalities=unique_in_order([*facts.nationalities, *facts.citizenships]),
        identifiers=unique_in_order(facts.identifiers),
        addresses=unique_in_order(addresses),
        links=unique_in_order(facts.links),
        title=title,
        gender=facts.gender,
        listed_on=None,
        details=(*vessel, *facts.details),
        remarks=facts.rest,
        line=line,
    )


def _programs(cell: str) -> tuple[str, ...]:
    """``SDGT] [IRGC`` -> ``("IRGC", "SDGT")``: sorted, each once."""
    value = _value(cell)
    if value is None:
        return ()
    programs = (program.strip("[] ") for program in value.split("] ["))
    return tuple(sorted({program for program in programs if program}))


def _value(cell: str) -> str | None:
    """The cell without surrounding blanks; None for OFAC's null ``-0-`` or an empty cell."""
    value = cell.strip()
    return None if value in ("", _NULL) else value


def _required(cell: str, column: str, source: str, line: int) -> str:
    """A cell that must not be empty."""
    value = _value(cell)
    if value is None:
        raise MalformedPublication(source, line, f"{column} is empty")
    return value


def _key(cell: str, column: str, source: str, line: int) -> str:
    """A numeric key column, as written."""
    value = cell.strip()
    if not (value.isascii() and value.isdigit()):  # ASCII digits only: no ²
        raise MalformedPublication(source, line, f"{column} {cell!r} is not a number")
    return value


class _UniqueKeys:
    """The keys of one file seen so far: a key given twice means a corrupted file."""

    def __init__(self, source: str, column: str) -> None:
        self._source = source
        self._column = column
        self._lines: dict[str, int] = {}

    def add(self, cell: str, line: int) -> str:
        """Check and remember the key of the row at ``line``; return it."""
        # Nearly every key is plain digits, with nothing to strip: checked as it stands (a
        # history of copies gives millions).
        plain = cell.isdigit() and cell.isascii()
        key = cell if plain else _key(cell, self._column, self._source, line)
        first = self._lines.setdefault(key, line)
        if first != line:
            message = f"{self._column} {key} was already given on line {first}"
            raise MalformedPublication(self._source, line, message)
        return key
