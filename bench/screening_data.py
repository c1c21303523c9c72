"""The names the screening benchmark (``screening_eval.py``) screens, and the lists it screens.

Two corpora: the OFAC SDN list of 2022-01-31 with its aliases, imported into a new SQLite
ledger and read back from the views' profiles (so that the index sees the names exactly as
the ledger holds them), and a synthetic corpus of ordinary names made by ``faker``, built
straight into profile records (a million real listings do not exist, and the index does not
care where a record came from). Ordinary names also serve as the queries that should find
nothing: a name on no list. Everything generated is seeded, so two runs screen the same names.

The list files are read from the shared data and unpacked into a temporary folder; only the
two members needed are extracted (the history archive holds 308 copies).
"""

from __future__ import annotations

import random
import re
import sqlite3
import tarfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import common

if TYPE_CHECKING:
    from application.screening.model import ProfileRecord

HISTORY_ARCHIVE = "ofac-sdn/sdn-history-2021-08-18-to-2024-05-03.tar.xz"
HISTORY_COPY = "sdn_2022-01-31T184651Z.csv"
ALIASES_ARCHIVE = "ofac-sdn/sdn-alt-add-2022-01-31.tar.xz"
ALIASES_FILE = "alt.csv"

# Where sanctioned names come from is where false hits come from: the locales cover Latin,
# Cyrillic, Arabic and Chinese script, and the transliterations the list itself uses.
LOCALES = (
    "en_US",
    "en_GB",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "pl_PL",
    "tr_TR",
    "ru_RU",
    "uk_UA",
    "ar_AA",
    "fa_IR",
    "zh_CN",
)
COMPANY_SHARE = 0.3
"""The share of organizations among generated names; the rest are persons."""

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Name:
    """A generated name, what it names, and the locale that made it."""

    text: str
    kind: str
    locale: str


@dataclass(frozen=True)
class AliasCase:
    """One alias of a listed subject, screened to find that subject."""

    subject_id: str
    alias: str
    name_type: str
    record: ProfileRecord

    def without_alias(self) -> ProfileRecord:
        """The subject's record as if the list did not give this alias (every copy of it)."""
        names = tuple(name for name in self.record.names if name[0] != self.alias)
        return replace(self.record, names=names)


# The OFAC list of the day --------------------------------------------------------------


def extract(archive: Path, file_name: str, folder: Path) -> Path:
    """The member of ``archive`` named ``file_name`` (at any depth), extracted into
    ``folder``; the archive is read in order and only up to that member (the history's copy
    of the day lies near its start)."""
    with tarfile.open(archive) as members:
        for member in members:
            if Path(member.name).name == file_name:
                members.extract(member, folder, filter="data")
                return folder / member.name
    raise FileNotFoundError(f"{archive}: no member named {file_name}")


def list_of_the_day(folder: Path) -> tuple[Path, Path]:
    """The SDN copy of 2022-01-31 and the ``alt.csv`` of that day, unpacked into ``folder``."""
    data = common.shared_data()
    sdn = extract(data / HISTORY_ARCHIVE, HISTORY_COPY, folder / "history")
    alt = extract(data / ALIASES_ARCHIVE, ALIASES_FILE, folder / "aliases")
    return sdn, alt


def import_list(database: Path, sdn: Path, alt: Path) -> dict[str, float]:
    """Import the copy with its aliases into a new SQLite ledger at ``database`` and bring
    its views up to date, as ``ledger import ofac-sdn --alt`` does; the figures."""
    from application.bootstrap import bootstrap
    from application.importers.importer import Importer
    from application.importers.publications import observed_at_in_name, ofac_sdn
    from application.settings import Settings
    from domain.values import Actor

    services = bootstrap(Settings(database_url=f"sqlite:///{database}", projections="external"))
    try:
        began = time.perf_counter()
        publication = ofac_sdn(sdn, observed_at_in_name(sdn.name), alt=alt)
        summary = Importer(services, Actor("bench", "screening benchmark")).run(publication)
        imported = time.perf_counter() - began
        services.projector.catch_up()
        projected = time.perf_counter() - began - imported
    finally:
        services.close()
    return {
        "listings": summary.added,
        "events": summary.events,
        "import_seconds": imported,
        "projection_seconds": projected,
    }


def profile_rows(database: Path) -> list[dict[str, Any]]:
    """Every row of the views' ``profile_segments`` table (read straight from the file)."""
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(
            "SELECT subject_id, eff_from, rec_from, eff_to, rec_to, kind, document "
            "FROM profile_segments ORDER BY subject_id, eff_from, rec_from"
        ).fetchall()
    return [dict(row) for row in rows]


def ofac_records(folder: Path) -> tuple[list[ProfileRecord], dict[str, float]]:
    """The profile records of the list of the day, as the screening service reads them from
    the views of a new ledger in ``folder``; and the import's figures."""
    from application.screening.source import record_of

    sdn, alt = list_of_the_day(folder)
    database = folder / "ledger.db"
    figures = import_list(database, sdn, alt)
    return [record_of(row) for row in profile_rows(database)], figures


def alias_cases(records: Sequence[ProfileRecord]) -> list[AliasCase]:
    """Every alias of every record that has one (each distinct alias of a record once)."""
    cases = []
    for record in records:
        seen: set[str] = set()
        for name, name_type in record.names[1:]:
            if name not in seen and name != record.names[0][0]:
                seen.add(name)
                cases.append(AliasCase(record.subject_id, name, name_type, record))
    return cases


# Generated names -----------------------------------------------------------------------


def plain(name: str) -> str:
    """A name's words, case folded and sorted: two names equal this way are the same name
    written in another order or case."""
    return " ".join(sorted(_WORDS.findall(name.casefold())))


def generated_names(count: int, seed: int) -> Iterator[Name]:
    """``count`` person and company names from every locale, in a seeded random mix.

    One generator per locale, each seeded, and the locale drawn from a seeded generator of
    our own: a multi-locale ``Faker`` draws its locale from the global random state."""
    from faker import Faker

    makers = {locale: Faker(locale) for locale in LOCALES}
    for offset, maker in enumerate(makers.values()):
        maker.seed_instance(seed * 1000 + offset)
    draw = random.Random(seed)
    for _ in range(count):
        locale = draw.choice(LOCALES)
        maker = makers[locale]
        if draw.random() < COMPANY_SHARE:
            yield Name(maker.company(), "organization", locale)
        else:
            yield Name(maker.name(), "person", locale)


def ordinary_names(count: int, seed: int, listed: set[str]) -> tuple[list[Name], int]:
    """``count`` distinct generated names none of which equals a listed name (``listed`` holds
    their ``plain`` forms); and how many were dropped for being listed."""
    names: dict[str, Name] = {}
    dropped = 0
    for name in generated_names(count * 3, seed):
        key = plain(name.text)
        if key in listed:
            dropped += 1
        elif key not in names:
            names[key] = name
            if len(names) == count:
                break
    return list(names.values()), dropped


def synthetic_records(names: Sequence[Name]) -> list[ProfileRecord]:
    """One record per generated name: a subject known by that name only, open in both times."""
    from application.screening.model import ProfileRecord
    from application.views.schema import BEGINNING

    records = []
    for number, name in enumerate(names):
        subject_id = f"synthetic-{number:07d}"
        records.append(
            ProfileRecord(
                key=(subject_id, BEGINNING, 1),
                subject_id=subject_id,
                kind=name.kind,
                names=((name.text, "primary"),),
                birth_dates=(),
                countries=(),
                identifiers=(),
                eff_from=BEGINNING,
                eff_to=None,
                rec_from=1,
                rec_to=None,
            )
        )
    return records


def misspelt(name: str, draw: random.Random) -> str:
    """The name with one letter dropped, doubled or swapped with the next: a typing error."""
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 4:
        return name
    at = draw.choice(letters[1:-1])
    error = draw.randrange(3)
    if error == 0:
        return name[:at] + name[at + 1 :]
    if error == 1:
        return name[:at] + name[at] + name[at:]
    return name[:at] + name[at + 1] + name[at] + name[at + 2 :]
