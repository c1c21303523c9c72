"""The founding example: what several authorities did on 10 December 2021.

The data file beside this module holds the 25 OFAC designations of that day as OFAC
published them, and the day's other measures as their announcements describe them. It is
recorded as one action, all or nothing, with every item citing its source.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any
from uuid import UUID, uuid5

from application.commands import (
    Citation,
    Command,
    ImposeMeasure,
    RecordAction,
    RegisterSubject,
)
from application.importers.ofac_csv import iter_sdn_entries
from application.importers.profiles import kind_of, profile_of
from application.importers.records import ListEntry, ParsedName
from application.ledger import Ledger
from application.receipts import WriteReceipt
from domain.values import (
    Actor,
    Authority,
    MeasureKind,
    Name,
    NameType,
    Profile,
    Reference,
    Source,
    SubjectKind,
)

OFAC_SUBJECT_KINDS = {
    "individual": SubjectKind.PERSON,
    "vessel": SubjectKind.VESSEL,
    "aircraft": SubjectKind.AIRCRAFT,
}
NULL = "-0-"
MARKER = Reference(Authority.US_OFAC, "34021")
"""A reference the example registers; its presence means the example is loaded already."""
DEMO_NAMESPACE = UUID("5d1e7c0a-2b8f-4c61-9a3e-10dec2021000")


def demo_subject_id(key: str) -> UUID:
    """Fixed ids, so that the README can link to the example's subjects."""
    return uuid5(DEMO_NAMESPACE, key)


def load_data() -> dict[str, Any]:
    text = resources.files("application.demo").joinpath("founding_example.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def founding_action() -> RecordAction:
    data = load_data()
    day = _midnight(data["day"])
    sources = {key: _source(value) for key, value in data["sources"].items()}
    items: list[Command] = []
    for entry in _ofac_entries(data["ofac_designations"]):
        items.extend(_ofac_items(entry, day, sources["ofac"]))
    for entry in data["investment_restrictions"]:
        items.extend(_measure_items(entry, day, sources, MeasureKind.INVESTMENT_RESTRICTION))
    for entry in data["visa_bans"]:
        items.extend(_measure_items(entry, day, sources, MeasureKind.VISA_BAN))
    for entry in data["designations"]:
        items.extend(_measure_items(entry, day, sources, MeasureKind.DESIGNATION))
    return RecordAction(items=tuple(items))


def _ofac_entries(rows: list[dict[str, Any]]) -> list[ListEntry]:
    """The rows as OFAC published them, read by the same parser as an import."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    for row in rows:
        cells = [row["ent_num"], row["name"], row.get("sdn_type") or NULL]
        cells += ["] [".join(row["programs"]), row.get("title") or NULL]
        cells += [NULL] * 6 + [row.get("remarks") or NULL]
        writer.writerow(cells)
    aliases = {
        row["ent_num"]: [ParsedName(a["name"], a["type"]) for a in row.get("aliases", [])]
        for row in rows
    }
    stream = io.BytesIO(text.getvalue().encode("latin-1"))
    entries = iter_sdn_entries(
        stream, source="founding_example.json", aliases=aliases, require_end_marker=False
    )
    return list(entries)


def _ofac_items(entry: ListEntry, day: datetime, source: Source) -> list[Command]:
    key = f"ofac-{entry.reference}"
    citation = Citation(source=source)
    return [
        RegisterSubject(
            kind=kind_of(entry),
            profile=profile_of(entry),
            references=(Reference(Authority.US_OFAC, entry.reference),),
            effective_at=day,
            citation=citation,
            key=key,
            subject_id=demo_subject_id(key),
        ),
        ImposeMeasure(
            subject=key,
            kind=MeasureKind.DESIGNATION,
            authority=Authority.US_OFAC,
            programs=entry.programs,
            effective_from=day,
            citation=citation,
        ),
    ]


def _measure_items(
    entry: dict[str, Any], day: datetime, sources: dict[str, Source], kind: MeasureKind
) -> list[Command]:
    source = sources[entry["source"]]
    citation = Citation(source=source)
    profile = Profile(
        names=tuple(Name(n["value"], NameType(n["type"])) for n in entry["names"]),
        nationalities=tuple(entry.get("nationalities", ())),
    )
    deadline = entry.get("divestment_deadline")
    return [
        RegisterSubject(
            kind=SubjectKind(entry["kind"]),
            profile=profile,
            effective_at=day,
            citation=citation,
            key=entry["key"],
            subject_id=demo_subject_id(entry["key"]),
        ),
        ImposeMeasure(
            subject=entry["key"],
            kind=kind,
            authority=Authority(entry.get("authority", source.authority)),
            programs=tuple(entry["programs"]),
            effective_from=day,
            legal_basis=entry.get("legal_basis"),
            covers_family=bool(entry.get("covers_family", False)),
            divestment_deadline=None if deadline is None else _midnight(deadline),
            details=entry.get("details"),
            citation=citation,
        ),
    ]


def _source(value: dict[str, Any]) -> Source:
    published = value.get("published_on")
    return Source(
        authority=Authority(value["authority"]),
        reference=value["reference"],
        url=value.get("url"),
        published_on=None if published is None else date.fromisoformat(published),
    )


def _midnight(day: str) -> datetime:
    parsed = date.fromisoformat(day)
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)


def load_founding_example(ledger: Ledger, actor: Actor) -> WriteReceipt | None:
    """Record the founding example once; ``None`` when the ledger holds it already."""
    if ledger.subject_id_for(MARKER) is not None:
        return None
    return ledger.execute(founding_action(), actor)
