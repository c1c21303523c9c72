"""When the changes of each copy of a history were announced: a map of copy to day.

A list publisher announces its changes (a press release, a Recent Actions page) before the
copy that shows them is observed: OFAC's designations of 25 February 2022 appear in the copy
observed on 26 February at 01:42. A map names, for the copies where it is known, the day of
the announcement, so that their changes take effect from that day.

The map is a JSON object or a CSV file with the header ``copy,announced_on``. A copy is
named by its file name (``sdn_2022-02-26T014252Z.csv``), by the time in that name
(``2022-02-26T014252Z``) or by its observed day (``2022-02-26``: every copy of that day);
the announced day is an ISO date. A key that names no copy to import is refused before
anything is imported, since a mistyped key would otherwise be silently ignored.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

from domain.errors import InvalidValue

HEADER = ["copy", "announced_on"]
OBSERVED_STAMP = "%Y-%m-%dT%H%M%SZ"


def read_announcements(path: Path) -> dict[str, date]:
    """The map in a ``.json`` file, or in a CSV file of any other name."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidValue(f"{path.name}: cannot be read as UTF-8 text ({error})") from None
    pairs = _json_pairs(path, text) if path.suffix.lower() == ".json" else _csv_pairs(path, text)
    announced: dict[str, date] = {}
    for copy, day in pairs:
        if copy in announced:
            raise InvalidValue(f"{path.name}: the copy {copy!r} is named twice")
        announced[copy] = announced_day(day, f"{path.name}: {copy!r}")
    return announced


def announced_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"{what}: {text!r} is not an ISO date (YYYY-MM-DD)") from None


def _json_pairs(path: Path, text: str) -> list[tuple[str, str]]:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise InvalidValue(f"{path.name}: not JSON ({error})") from None
    if not isinstance(document, dict) or not all(
        isinstance(value, str) for value in document.values()
    ):
        raise InvalidValue(f'{path.name}: a JSON object of "copy": "announced day" is expected')
    return list(document.items())


def _csv_pairs(path: Path, text: str) -> list[tuple[str, str]]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [cell.strip() for cell in rows[0]] != HEADER:
        raise InvalidValue(f"{path.name}, line 1: the header must be {','.join(HEADER)}")
    pairs = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            raise InvalidValue(f"{path.name}, line {line}: two cells expected, not {len(row)}")
        pairs.append((row[0].strip(), row[1]))
    return pairs


def names_of(file: str, observed_at: datetime) -> tuple[str, str, str]:
    """The three ways a map may name a copy, most precise first."""
    return (file, observed_at.strftime(OBSERVED_STAMP), observed_at.date().isoformat())


def announcement_for(
    announced: Mapping[str, date], file: str, observed_at: datetime
) -> date | None:
    """The day a copy's changes were announced, if the map names it."""
    return next(
        (announced[name] for name in names_of(file, observed_at) if name in announced), None
    )


def check_announcements(
    announced: Mapping[str, date], copies: Sequence[tuple[str, datetime]]
) -> None:
    """Refuse, before any copy is imported, a map naming a copy that is not among those to
    import, or a day after the copy it is given for."""
    named = {name for file, observed in copies for name in names_of(file, observed)}
    unknown = sorted(set(announced) - named)
    if unknown:
        raise InvalidValue(
            f"the announcements name copies that are not imported here: {', '.join(unknown)}"
        )
    for file, observed in copies:
        day = announcement_for(announced, file, observed)
        if day is not None and day > observed.date():
            raise InvalidValue(
                f"{file}: announced on {day.isoformat()}, after the copy itself was observed "
                f"({observed.isoformat()}); a copy cannot show a change announced later"
            )
