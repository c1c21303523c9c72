"""The ledger the tamper tests change behind its back: just over 500 small events of every
kind the ledger writes (registrations with and without an authority's reference, the claims
they make and one passed to another subject, measures of each kind, amendments of profiles and
of measures, rescissions, voidings, a publication log)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from application.bootstrap import Services, bootstrap
from application.commands import (
    AmendMeasure,
    AmendProfile,
    Citation,
    Command,
    ImposeMeasure,
    RecordAction,
    RecordPublication,
    RegisterSubject,
    RescindMeasure,
    VoidEvent,
)
from application.settings import Settings
from domain.ids import event_id, measure_id
from domain.values import (
    Actor,
    Authority,
    MeasureKind,
    Name,
    Profile,
    Reference,
    Source,
    SubjectKind,
)

OPERATOR = Actor("k1", "operator")
SOURCE = Source(Authority.UK, "T")
DAY = datetime(2021, 12, 10, tzinfo=UTC)
NAMESPACE = uuid.UUID("7a3f1c52-0d4e-4b8a-9c61-5e2b7d0f1a93")
SUBJECTS = 192
"""Each registered with one measure, a quarter with a reference: with the changes that
follow, just over 500 events."""
KINDS = (MeasureKind.DESIGNATION, MeasureKind.VISA_BAN, MeasureKind.INVESTMENT_RESTRICTION)


def subject_id(i: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, str(i))


def name(i: int) -> str:
    """Short names; some with a two-byte and a four-byte character, for the flips that
    break a character in two and for the rewrites as escapes."""
    return f"Zoë {i} 𠜎" if i % 7 == 0 else f"N{i}"


def founding(count: int) -> RecordAction:
    """``count`` subjects, each with one measure, of the three kinds in turn."""
    items: list[Command] = []
    for i in range(count):
        references = (Reference(Authority.UK, str(i)),) if i % 4 == 0 else ()
        profile = Profile(names=(Name(name(i)),))
        items.append(
            RegisterSubject(SubjectKind.PERSON, profile, references, subject_id=subject_id(i))
        )
        items.append(measure(i, KINDS[i % 3]))
    return RecordAction(tuple(items), Citation(source=SOURCE))


def measure(i: int, kind: MeasureKind) -> ImposeMeasure:
    return ImposeMeasure(
        subject=subject_id(i),
        kind=kind,
        authority=Authority.UK,
        programs=("P",),
        effective_from=DAY,
        covers_family=kind == MeasureKind.VISA_BAN and i % 2 == 0,
        divestment_deadline=DAY + timedelta(days=365)
        if kind == MeasureKind.INVESTMENT_RESTRICTION
        else None,
    )


def changes() -> RecordAction:
    """What follows the founding: profiles and measures amended, measures rescinded,
    impositions voided, a reference passed from subject 0 to subject 1, a publication."""
    items: list[Command] = [
        AmendProfile(subject_id(i), Profile(names=(Name(f"M{i}"),))) for i in range(2, 22)
    ]
    items += [AmendMeasure(measure_id(subject_id(i), 1), programs=("Q",)) for i in range(22, 42)]
    rescinded = DAY + timedelta(days=30)
    items += [RescindMeasure(measure_id(subject_id(i), 1), rescinded) for i in range(42, 57)]
    voided = Citation(reason="x")
    items += [VoidEvent(event_id(subject_id(i), 2), voided) for i in range(57, 67)]
    items += [
        AmendProfile(subject_id(0), Profile(names=(Name(name(0)),)), references=()),
        AmendProfile(subject_id(1), Profile(names=(Name("N1"),)), (Reference(Authority.UK, "0"),)),
        RecordPublication(Authority.UK, "f", DAY, hashlib.sha256(b"f").hexdigest(), (0, 0, 0, 0)),
    ]
    return RecordAction(tuple(items), Citation(source=SOURCE))


def build(url: str) -> Services:
    services = bootstrap(Settings(database_url=url))
    services.ledger.execute(founding(SUBJECTS), OPERATOR)
    services.ledger.execute(changes(), OPERATOR)
    return services
