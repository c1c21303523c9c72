"""Rows of OFAC's ``sdn.csv`` for the importer tests (a designated person, a bank), the file
they make as OFAC publishes it, and its entries parsed to the end."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import BinaryIO

from application.importers.ofac_csv import iter_sdn_entries
from application.importers.records import ListEntry, ParsedAddress, ParsedName

NULLS = "-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- "
SOIN = (
    '34021,"SOIN, Dmitriy Yurevich","individual","DPRK3",' + NULLS + ',"DOB 07 Aug 1969; '
    "nationality Russia; Gender Male; Passport 7512345 (Russia) expires 03 Mar 2030; "
    "a.k.a. 'DIMA'; Linked To: EUROPEAN INSTITUTE JUSTO.\""
)
BANK = '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA] [SDGT",' + NULLS + ",\"a.k.a. 'BNC'.\""


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
