"""A list entry as the ledger's own values: the subject's kind, profile and reference."""

from __future__ import annotations

from application.importers.records import ListEntry
from domain.values import (
    Address,
    Authority,
    Detail,
    Identifier,
    Name,
    NameType,
    Profile,
    Reference,
    SubjectKind,
)


def profile_of(entry: ListEntry) -> Profile:
    return Profile(
        names=tuple(Name(name.value, NameType(name.type)) for name in entry.names),
        identifiers=tuple(
            Identifier(i.kind, i.value, i.country, i.note) for i in entry.identifiers
        ),
        birth_dates=entry.birth_dates,
        birth_places=entry.birth_places,
        nationalities=entry.nationalities,
        addresses=tuple(Address(a.text, a.country) for a in entry.addresses),
        links=entry.links,
        title=entry.title,
        gender=entry.gender,
        remarks=entry.remarks,
        details=tuple(Detail(label, value) for label, value in entry.details),
    )


def kind_of(entry: ListEntry) -> SubjectKind:
    return SubjectKind(entry.subject_kind)


def reference_of(entry: ListEntry, authority: Authority) -> Reference:
    return Reference(authority, entry.reference)
