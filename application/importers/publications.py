"""List publications as files: what they are, when they were observed, how to read them.

A publication is identified by its content: the SHA-256 of its files, read in chunks. Its
entries come as a table (``Entries``): each entry's reference and fingerprint, and the entry
itself read only if the importer asks, which it does only for what changed.
"""

from __future__ import annotations

import hashlib
import lzma
import re
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from application.importers.ofac_csv import read_add, read_alt, sdn_table
from application.importers.records import ListEntry
from application.importers.un_xml import read_un_list
from domain.errors import InvalidValue
from domain.values import Authority, Source

OBSERVED_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{6}Z)")
T = TypeVar("T")


@dataclass(frozen=True)
class Entries:
    """The entries of one publication, in its order: each one's reference and fingerprint,
    and the entry itself read only if needed (an importer of a history of copies looks at
    millions, nearly all unchanged, and takes their references and fingerprints a list at a
    time)."""

    references: Sequence[str]
    fingerprints: Sequence[str] | None
    """Each entry's fingerprint, which identifies its source text: an importer that saw the
    same fingerprint for the same reference in the previous publication knows the entry is
    unchanged without reading it. None where the format gives no cheap fingerprint."""
    read: Callable[[int], ListEntry]
    """The entry at an index, read."""


@dataclass(frozen=True)
class Publication:
    """One publication of one authority's list, ready to be read."""

    authority: Authority
    file: str
    observed_at: datetime
    sha256: str
    entries: Callable[[], Entries]
    dates_listings: bool = False
    """Whether the list states when each entry was listed (the UN's LISTED_ON)."""
    announced_on: date | None = None
    """The day the publisher announced the changes this copy shows, where known: they take
    effect from its start (midnight UTC) rather than from when the copy was observed."""

    @property
    def source(self) -> Source:
        return Source(
            authority=self.authority,
            reference=f"{self.authority} list publication {self.file}",
            published_on=self.announced_on,
            observed_at=self.observed_at,
            sha256=self.sha256,
        )

    @property
    def effective_at(self) -> datetime:
        """When the changes this copy shows take effect: the announcement's day, or the
        moment the copy was observed."""
        if self.announced_on is None:
            return self.observed_at
        day = self.announced_on
        return datetime(day.year, day.month, day.day, tzinfo=UTC)

    def announced(self, day: date | None) -> Publication:
        """This copy with the day its changes were announced; refused if that day comes
        after the copy itself: a list cannot show a change before it was announced."""
        if day is None:
            return self
        if day > self.observed_at.date():
            raise InvalidValue(
                f"{self.file}: announced on {day.isoformat()}, after the copy itself was "
                f"observed ({self.observed_at.isoformat()}); a copy cannot show a change "
                "announced later"
            )
        return replace(self, announced_on=day)


def sha256_of(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def observed_at_in_name(name: str) -> datetime:
    """The time in a dated copy's file name, e.g. ``sdn_2021-12-10T185016Z.csv``."""
    found = OBSERVED_IN_NAME.search(name)
    if found is None:
        raise InvalidValue(f"{name}: no observed time (YYYY-MM-DDTHHMMSSZ) in the file name")
    try:
        return datetime.strptime(found.group(1), "%Y-%m-%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:  # shaped like a time, but not one: 2024-13-45T256199Z
        raise InvalidValue(f"{name}: {found.group(1)} in the file name is not a time") from None


def ofac_sdn(
    sdn: Path, observed_at: datetime, alt: Path | None = None, add: Path | None = None
) -> Publication:
    """An OFAC legacy CSV publication: sdn.csv, with its alt.csv and add.csv if given."""
    paths = [p for p in (sdn, alt, add) if p is not None]

    def entries() -> Entries:
        aliases = _read(alt, read_alt) if alt else {}
        addresses = _read(add, read_add) if add else {}
        with sdn.open("rb") as stream:
            table = sdn_table(
                stream, source=sdn.name, require_end_marker=alt is None and add is None
            )
        texts = table.rows.texts
        # The row's own text is its fingerprint: exact, and cheaper than a hash of it. (A copy
        # without alt.csv and add.csv, as every dated copy, adds nothing to it.)
        fingerprints = (
            texts
            if not aliases and not addresses
            else [
                _with_extra(text, aliases.get(reference), addresses.get(reference))
                for reference, text in zip(table.references, texts, strict=True)
            ]
        )
        return Entries(
            table.references,
            fingerprints,
            lambda index: table.row(index).entry(aliases, addresses),
        )

    return Publication(Authority.US_OFAC, sdn.name, observed_at, sha256_of(*paths), entries)


def un_sc(path: Path) -> Publication:
    """A UN Security Council consolidated list; observed when the list says it was generated."""
    with path.open("rb") as stream:
        generated = read_un_list(stream, source=path.name).date_generated

    def entries() -> Entries:
        with path.open("rb") as stream:
            listed = list(read_un_list(stream, source=path.name).entries)
        return Entries([entry.reference for entry in listed], None, listed.__getitem__)

    return Publication(
        Authority.UN_SC, path.name, generated, sha256_of(path), entries, dates_listings=True
    )


def _with_extra(text: str, aliases: object, addresses: object) -> str:
    """A row's fingerprint with what alt.csv and add.csv add to it, if anything."""
    return text if (aliases, addresses) == (None, None) else text + repr((aliases, addresses))


def _unpack(archive: Path, folder: Path) -> None:
    """Extract a tar archive (compressed or not), refusing one that cannot be read whole."""
    try:
        with tarfile.open(archive) as members:
            members.extractall(folder, filter="data")
    # A damaged compressed stream fails in its decompressor, not always as a tarfile error.
    except (tarfile.TarError, lzma.LZMAError, zlib.error, EOFError, OSError) as error:
        # The first line only: tarfile goes on to list each method it tried.
        reason = (str(error).splitlines() or [type(error).__name__])[0].rstrip(":")
        raise InvalidValue(f"{archive.name}: not a readable .tar.xz archive ({reason})") from None


def _read(path: Path, reader: Callable[..., T]) -> T:
    with path.open("rb") as stream:
        return reader(stream, source=path.name)


@contextmanager
def dated_copies(location: Path) -> Iterator[list[Path]]:
    """The dated sdn.csv copies of a folder or a .tar.xz archive, oldest first.

    An archive is unpacked into a temporary folder first (its members are not stored in time
    order, and an xz stream cannot be read out of order cheaply), removed afterwards.
    """
    with ExitStack() as stack:
        folder = location
        if location.is_file():
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ledger-import-")))
            _unpack(location, folder)
        copies = [p for p in folder.rglob("*.csv") if OBSERVED_IN_NAME.search(p.name)]
        if not copies:
            raise InvalidValue(f"{location}: no dated copies (sdn_<YYYY-MM-DDTHHMMSSZ>.csv) found")
        yield sorted(copies, key=lambda p: observed_at_in_name(p.name))
