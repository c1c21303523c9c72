"""The rows of one of OFAC's legacy CSV files, each checked for its shape, and the file's end.

Rows are latin-1 text, quoted the CSV way, possibly over several lines; a file ends with the
old DOS end-of-file mark 0x1A (``END_MARKER``), or without where the caller allows it.

A history of dated copies repeats nearly every row from one copy to the next. A line that
held one whole row and passed every check of a row is remembered with its cells until the
next file of the same width is read whole (``_KNOWN_LINES``): the same line there needs no
parsing and no checking again, only the checks that concern the whole file (the end of the
file here; unique keys where the caller keeps them). ``CsvRows.read_whole`` takes such lines a
stretch at a time rather than a row at a time: an import of the whole history reads some 3.6
million rows, nearly all of them known.
"""

from __future__ import annotations

import csv
import io
import re
from _csv import Reader
from collections.abc import Iterator
from typing import BinaryIO, Final, NamedTuple, cast

from application.importers.records import MalformedPublication

END_MARKER: Final = "\x1a"
_MAX_LINE_CHARS: Final = 1 << 20  # a real row is under 2,000 characters
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_ENDS: Final = ("\n", "\r")

Cells = tuple[str, ...]

_KNOWN_LINES: dict[int, dict[str, Cells]] = {}
"""By row width: each line of the last file of that width read whole that held one whole row
and passed every check of a row, with its cells. A row's cells and checks depend on its line
alone, so which file a line came from does not matter; one file's lines are kept at most
(some 20 MiB for an ``sdn.csv``)."""


class RowTable(NamedTuple):
    """The rows of one file as ``CsvRows`` gives them, in three lists of the same length:
    each row's first line, its cells and its text."""

    lines: list[int]
    cells: list[Cells]
    texts: list[str]


class CsvRows:
    """The rows of one legacy CSV file as ``(first line, cells, text)``, checked one by one
    (``text``: the row's line, or for a row written over several lines its cells joined with
    NUL, which no line holds).

    ``csv.reader`` hides line ends, so the lines go through ``_Lines``, which remembers the
    last one read: that is how a row cut short at the end of the file shows up. Each line
    that starts a row is looked up among the lines known to hold a whole checked row
    (``_KNOWN_LINES``) first; any other is handed back and read by the reader, with the lines
    its row goes on over.
    """

    def __init__(
        self, stream: BinaryIO, source: str, *, width: int, require_end_marker: bool
    ) -> None:
        self._stream = stream
        self._source = source
        self._width = width
        self._require_end_marker = require_end_marker

    def __iter__(self) -> Iterator[tuple[int, Cells, str]]:
        text = io.TextIOWrapper(self._stream, encoding="latin-1", newline="")
        try:
            lines = _Lines(text, self._source)
            reader = csv.reader(lines, strict=True)
            known = _KNOWN_LINES.get(self._width, {})
            seen: dict[str, Cells] = {}
            rows = 0
            while (first := lines.read()) is not None:
                line = lines.count
                cells = known.get(first)
                if cells is not None:
                    seen[first] = cells
                    yield line, cells, first
                else:
                    lines.hand_back(first)
                    row = self._next_row(reader, line)
                    assert row is not None, "a line was handed back"
                    if row == [END_MARKER]:
                        self._expect_end(reader, lines, rows=rows)
                        _KNOWN_LINES[self._width] = seen
                        return
                    self._check(row, line, lines.last)
                    cells = tuple(row)
                    if lines.count == line:  # the row is its line alone
                        seen[first] = cells
                        yield line, cells, first
                    else:
                        yield line, cells, "\x00".join(cells)
                rows += 1
            if self._require_end_marker:
                message = "the file ends without the end-of-file marker 0x1A: it is truncated"
                raise MalformedPublication(self._source, lines.count + 1, message)
            self._expect_rows(rows)
            _KNOWN_LINES[self._width] = seen
        finally:
            text.detach()  # the caller's stream stays open

    def read_whole(self) -> tuple[RowTable, MalformedPublication | None]:
        """The rows ``__iter__`` gives, all at once, up to the file's first fault, and that
        fault (None for a sound file): a caller checking more of each row (unique keys)
        names the first fault of the file, whichever check finds it.

        The file is read whole and cut into lines, and every line is looked up among the
        known ones at once; each stretch of known lines is then taken as it stands, and the
        reader reads the rest, each row from its first line on. ``str.splitlines`` also cuts
        at a few control characters (form feed, 0x85...) where a line reader does not; a row
        holding one is refused for it, at its first line, however its lines were cut, and no
        known line holds one. A file with a line too long is read row by row, for the same
        fault."""
        data = self._stream.read()
        text = data.decode("latin-1")
        lines = text.splitlines(keepends=True)
        table = RowTable([], [], [])
        try:
            if max(map(len, lines), default=0) >= _MAX_LINE_CHARS:
                again = CsvRows(
                    io.BytesIO(data),
                    self._source,
                    width=self._width,
                    require_end_marker=self._require_end_marker,
                )
                for line, cells, row_text in again:
                    _append(table, line, cells, row_text)
            else:
                self._fill(table, lines)
        except MalformedPublication as fault:
            return table, fault
        return table, None

    def _fill(self, table: RowTable, lines: list[str]) -> None:
        """Read every row of ``lines`` into ``table``, as ``__iter__`` reads them; on to the
        file's end, or up to its first fault, raised."""
        found = list(map(_KNOWN_LINES.get(self._width, {}).get, lines))
        seen: dict[str, Cells] = {}
        source = _ListedLines(lines)
        reader = csv.reader(source, strict=True)
        start = 0
        while start < len(lines):
            end = _next_unknown(found, start)
            if end > start:  # whole rows, checked before: taken as they stand
                stretch = cast(list[Cells], found[start:end])
                table.lines.extend(range(start + 1, end + 1))
                table.cells.extend(stretch)
                table.texts.extend(lines[start:end])
                seen.update(zip(lines[start:end], stretch, strict=True))
                start = end
                continue
            source.position = start
            row = self._next_row(reader, start + 1)
            assert row is not None, "a line is left"
            if row == [END_MARKER]:
                self._expect_end(reader, source, rows=len(table.lines))
                _KNOWN_LINES[self._width] = seen
                return
            self._check(row, start + 1, source.last)
            cells = tuple(row)
            if source.position == start + 1:  # the row is its line alone
                seen[lines[start]] = cells
                _append(table, start + 1, cells, lines[start])
            else:
                _append(table, start + 1, cells, "\x00".join(cells))
            start = source.position
        if self._require_end_marker:
            message = "the file ends without the end-of-file marker 0x1A: it is truncated"
            raise MalformedPublication(self._source, len(lines) + 1, message)
        self._expect_rows(len(table.lines))
        _KNOWN_LINES[self._width] = seen

    def _next_row(self, reader: Reader, line: int) -> list[str] | None:
        """The next row, which starts at ``line``, or None at the end of the file."""
        try:
            return next(reader, None)
        except csv.Error as error:
            message = f"invalid CSV ({error}): a broken or truncated row"
            raise MalformedPublication(self._source, line, message) from error

    def _expect_end(self, reader: Reader, lines: _Lines | _ListedLines, *, rows: int) -> None:
        """Nothing may follow the end-of-file marker, and something must precede it."""
        line = lines.count + 1
        if self._next_row(reader, line) is not None:
            message = "data after the end-of-file marker 0x1A"
            raise MalformedPublication(self._source, line, message)
        self._expect_rows(rows)

    def _expect_rows(self, rows: int) -> None:
        """An empty list would read as everyone delisted: a file without rows is rejected."""
        if rows == 0:
            raise MalformedPublication(self._source, 1, "the file has no rows")

    def _check(self, row: list[str], line: int, last_line: str) -> None:
        """Reject a row with control bytes, cut at the end of the file, or of the wrong width
        (in that order: the first fault of a row is the one named)."""
        text = "".join(row)  # one look at the row, not one per cell
        # Every character of ``_CONTROL`` is unprintable: a printable row (nearly every one)
        # holds none, which ``isprintable`` tells in half the time of the search.
        if not text.isprintable() and _CONTROL.search(text):
            raise MalformedPublication(self._source, line, "control characters in a cell")
        if not last_line.endswith(_LINE_ENDS):
            message = "the last row has no line break: the file is truncated"
            raise MalformedPublication(self._source, line, message)
        if len(row) != self._width:
            message = f"expected {self._width} columns, found {len(row)}"
            raise MalformedPublication(self._source, line, message)


class _Lines:
    """The lines of a text stream, each at most ``_MAX_LINE_CHARS`` long, the last remembered;
    a line read can be handed back once, to be read again (by the CSV reader)."""

    def __init__(self, text: io.TextIOWrapper, source: str) -> None:
        self._text = text
        self._source = source
        self._handed_back: str | None = None
        self.count = 0
        """Lines read so far, each once however often it was handed back."""
        self.last = ""

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.read()
        if line is None:
            raise StopIteration
        return line

    def read(self) -> str | None:
        """The next line, or None at the end of the stream."""
        line = self._handed_back
        if line is not None:
            self._handed_back = None
            return line
        line = self._text.readline(_MAX_LINE_CHARS)
        if not line:
            return None
        if len(line) == _MAX_LINE_CHARS and not line.endswith(_LINE_ENDS):
            raise MalformedPublication(self._source, self.count + 1, "line too long")
        self.count += 1
        self.last = line
        return line

    def hand_back(self, line: str) -> None:
        """Make ``line``, the last one read, the next one read again."""
        self._handed_back = line


def _append(table: RowTable, line: int, cells: Cells, text: str) -> None:
    table.lines.append(line)
    table.cells.append(cells)
    table.texts.append(text)


def _next_unknown(found: list[Cells | None], start: int) -> int:
    """The index of the first line from ``start`` on that is not known, or the number of
    lines."""
    try:
        return found.index(None, start)
    except ValueError:
        return len(found)


class _ListedLines:
    """Lines already read, given to the CSV reader from ``position`` on; the last one given
    remembered."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self.position = 0
        """The index of the next line to give."""
        self.last = ""

    def __iter__(self) -> _ListedLines:
        return self

    def __next__(self) -> str:
        if self.position >= len(self._lines):
            raise StopIteration
        self.last = self._lines[self.position]
        self.position += 1
        return self.last

    @property
    def count(self) -> int:
        """Lines given so far, as ``_Lines`` counts them."""
        return self.position
