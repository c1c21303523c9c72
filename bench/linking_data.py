"""The lists the linking evaluation (``linking_eval.py``) links, and the truth it checks against.

The UN list of 2018-10-29 and the OFAC SDN copy of 2022-01-31 with that day's ``alt.csv`` are
unpacked from the shared data into a temporary folder (only the members needed) and imported,
UN first, into a new SQLite ledger there, as ``ledger import`` does; the views are brought up
to date before anything is read. The truth and the conflicts are decided here from the
profiles the ledger holds, independently of the suggester's own weighing: numbers reduced to
upper-case letters and digits (case, spaces and punctuation dropped).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import common
import screening_data

if TYPE_CHECKING:
    from application.bootstrap import Services
    from application.linking.evidence import LinkProfile

UN_ARCHIVE = "un-sc/un-sc-consolidated-2018.tar.xz"
UN_COPY = "consolidated_2018-10-29.xml"
KINDS = ("passport", "national_id")


def imported_ledger(folder: Path) -> tuple[Services, str]:
    """A new SQLite ledger in ``folder`` holding both lists, its views up to date; and a line
    saying what the import took."""
    from application.bootstrap import bootstrap
    from application.importers.importer import Importer
    from application.importers.publications import observed_at_in_name, ofac_sdn, un_sc
    from application.settings import Settings
    from domain.values import Actor

    un = screening_data.extract(common.shared_data() / UN_ARCHIVE, UN_COPY, folder / "un")
    sdn, alt = screening_data.list_of_the_day(folder)
    settings = Settings(database_url=f"sqlite:///{folder / 'ledger.db'}", projections="external")
    services = bootstrap(settings)
    began = time.perf_counter()
    importer = Importer(services, Actor("bench", "linking benchmark"))
    events = importer.run(un_sc(un)).events
    events += importer.run(ofac_sdn(sdn, observed_at_in_name(sdn.name), alt=alt)).events
    imported = time.perf_counter() - began
    services.projector.catch_up()
    projected = time.perf_counter() - began - imported
    return services, (f"imported {events:,} events in {imported:.1f} s, views in {projected:.1f} s")


def profiles(services: Services) -> dict[str, LinkProfile]:
    """Every subject's profile now, as the suggester reads them."""
    from application.linking.candidates import profiles_at
    from application.views.rows import stamp

    point = services.reader.point()
    return profiles_at(services.reader.views, stamp(point.as_of), point.position)


def numbers(profile: LinkProfile) -> dict[str, set[str]]:
    """The passport and national ID numbers, reduced, by kind."""
    found: dict[str, set[str]] = {}
    for kind, value in profile.identifiers:
        key = "".join(ch for ch in value if ch.isalnum()).upper()
        if kind in KINDS and key:
            found.setdefault(kind, set()).add(key)
    return found


def truth(found: dict[str, LinkProfile], left: str, right: str) -> set[tuple[str, str]]:
    """Every (left, right) pair of subjects, listed by those authorities, sharing a number."""
    holders: dict[str, set[str]] = {}
    for profile in found.values():
        if right in profile.authorities:
            for number in set().union(*numbers(profile).values()):
                holders.setdefault(number, set()).add(profile.subject_id)
    pairs: set[tuple[str, str]] = set()
    for profile in found.values():
        if left in profile.authorities:
            for number in set().union(*numbers(profile).values()):
                pairs.update((profile.subject_id, other) for other in holders.get(number, ()))
    return pairs


def conflicting(left: LinkProfile, right: LinkProfile) -> bool:
    """Whether both give numbers of one kind and share none of any kind."""
    mine, theirs = numbers(left), numbers(right)
    if set().union(*mine.values()) & set().union(*theirs.values()):
        return False
    return any(kind in theirs for kind in mine)


def counts(found: dict[str, LinkProfile], authorities: tuple[str, ...]) -> dict[str, int]:
    return {a: sum(a in p.authorities for p in found.values()) for a in authorities}
