"""A subject read at now is kept composed (``application.now_documents``) while nothing it
shows can change: the log stays where it was and ``as_of`` stays between the same two of
the subject's effective boundaries. A kept answer must be the one composing it again gives,
at every effective time, whatever was read before it."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from application.bootstrap import Services, bootstrap
from application.commands import (
    AmendProfile,
    Citation,
    LinkSubjects,
    RegisterSubject,
    RescindMeasure,
    UnlinkSubjects,
)
from application.now_documents import NowDocuments
from application.read_points import ReadPoint
from application.settings import Settings
from application.views.rows import stamp
from domain.values import MeasureKind, Name, Profile, SubjectKind
from tests.api.test_lean_reads import ACTOR, CITED, READ_TIMES, at, impose, run
from tests.support.clock import FakeClock

BOUNDARIES = [
    *("2020-01-01", "2020-06-01", "2021-01-01", "2021-03-01", "2021-06-01", "2022-03-01"),
    *("2022-06-01", "2023-01-01", "2024-01-01", "2025-01-01", "2030-01-01"),
]
"""The effective times at which the subject below reads differently."""
NAMED = Profile((Name("A NAME"),))
READ_AT = at("2026-01-01")


def changing_subject(services: Services, clock: FakeClock) -> UUID:
    """A subject whose reading changes at each of ``BOUNDARIES``: its profile amended,
    measures starting, expiring, rescinded before they expire. (An amended measure read
    outside its time in force is replayed, not composed: ``application.subject_views``.)"""
    subject = run(
        services,
        clock,
        RegisterSubject(
            kind=SubjectKind.PERSON,
            profile=Profile((Name("FIRST NAME"),)),
            effective_at=at("2020-01-01"),
            citation=CITED,
        ),
    )
    for step in (
        impose(subject, MeasureKind.DESIGNATION, "2020-06-01"),
        AmendProfile(
            subject=subject,
            profile=Profile((Name("SECOND NAME"),)),
            effective_at=at("2021-01-01"),
            citation=CITED,
        ),
        impose(subject, MeasureKind.VISA_BAN, "2021-03-01", effective_until=at("2022-03-01")),
        AmendProfile(
            subject=subject,
            profile=Profile((Name("THIRD NAME"),)),
            effective_at=at("2022-06-01"),
            citation=CITED,
        ),
        impose(
            subject,
            MeasureKind.INVESTMENT_RESTRICTION,
            "2021-06-01",
            effective_until=at("2025-01-01"),
        ),
        RescindMeasure(f"{subject}.3", at("2024-01-01"), citation=CITED),
        RescindMeasure(f"{subject}.1", at("2023-01-01"), citation=CITED),
        impose(subject, MeasureKind.VISA_BAN, "2030-01-01"),
    ):
        run(services, clock, step)
    return subject


def read_times() -> list[datetime]:
    """Each boundary, a microsecond either side of it, and the usual read times."""
    moments = [at(day) for day in BOUNDARIES]
    tick = timedelta(microseconds=1)
    return [*READ_TIMES, *moments, *(m - tick for m in moments), *(m + tick for m in moments)]


def composed(services: Services, subject: UUID, as_of: datetime) -> Any:
    """The subject at the end of the log composed afresh (``Reader.subject`` keeps nothing)."""
    last = services.ledger.last_position()
    return services.reader.subject(subject, ReadPoint(as_of, "now", last))


def test_a_kept_subject_reads_as_composing_it_again_at_every_effective_time(
    services: Services, clock: FakeClock
) -> None:
    subject = changing_subject(services, clock)
    services.reader.point()  # the views reach the end of the log
    times = read_times()
    kept = 0
    for order in range(3):  # each order leaves different documents kept before each read
        random.Random(order).shuffle(times)
        for as_of in times:
            answer = services.reader.subject_now(subject, as_of)
            assert answer is not None and answer == composed(services, subject, as_of), as_of
            last = services.ledger.last_position()
            kept += services.reader.now_documents.get(str(subject), last, stamp(as_of)) is not None
    assert kept == 3 * len(times)  # every one of them is kept for the next read


def test_what_is_kept_is_forgotten_once_the_log_moves_on(
    services: Services, clock: FakeClock
) -> None:
    subject = changing_subject(services, clock)
    other = changing_subject(services, clock)
    services.reader.point()
    first = services.reader.subject_now(subject, None)
    assert first is not None
    run(services, clock, impose(other, MeasureKind.VISA_BAN, "2021-06-01", programs=("IRGC",)))
    services.reader.point()
    later = services.reader.subject_now(subject, None)
    assert later is not None and later[0]["position"] == first[0]["position"] + 1
    run(services, clock, impose(subject, MeasureKind.VISA_BAN, "2021-06-01", programs=("IRGC",)))
    services.reader.point()
    changed = services.reader.subject_now(subject, None)
    assert changed is not None and changed[1] == first[1] + 1
    assert len(changed[0]["measures"]) == len(first[0]["measures"]) + 1


def test_a_subject_ever_linked_is_composed_on_every_read(
    services: Services, clock: FakeClock
) -> None:
    a = run(services, clock, RegisterSubject(SubjectKind.PERSON, Profile((Name("ONE"),))))
    b = run(services, clock, RegisterSubject(SubjectKind.PERSON, Profile((Name("TWO"),))))
    why = Citation(reason="same passport", confirm_unusual_dates=True)
    linked = services.ledger.execute(
        LinkSubjects((a, b), effective_from=at("2030-01-01"), citation=why), ACTOR
    )
    services.reader.point()
    last = services.ledger.last_position()
    clusters = []
    for as_of in (at("2029-12-31"), at("2030-01-01"), at("2029-12-31")):
        answer = services.reader.subject_now(a, as_of)
        assert answer is not None and answer == composed(services, a, as_of)
        assert services.reader.now_documents.get(str(a), last, stamp(as_of)) is None
        clusters.append(answer[0]["cluster"])
    assert clusters[0] is None and clusters[2] is None
    assert clusters[1]["members"] == [str(b)]
    unlinked = UnlinkSubjects(linked.link_ids[0], at("2031-01-01"), citation=why)
    services.ledger.execute(unlinked, ACTOR)
    services.reader.point()
    answer = services.reader.subject_now(a, at("2031-06-01"))
    assert answer is not None and answer[0]["cluster"] is None
    last = services.ledger.last_position()
    assert services.reader.now_documents.get(str(a), last, stamp(at("2031-06-01"))) is None


def test_kept_documents_hold_for_their_stretch_and_position_only() -> None:
    kept = NowDocuments(kept=2)
    document = {"subject_id": "s"}
    kept.keep("s", 5, ("2020-01-01", "2021-01-01"), document, 3)
    assert kept.get("s", 5, "2020-01-01") == (document, 3)
    assert kept.get("s", 5, "2020-12-31") == (document, 3)
    assert kept.get("s", 5, "2021-01-01") is None
    assert kept.get("s", 5, "2019-12-31") is None
    assert kept.get("s", 6, "2020-06-01") is None
    kept.keep("s", 4, ("", None), {"old": True}, 2)  # a read that began earlier: not kept
    assert kept.get("s", 5, "2020-06-01") == (document, 3)
    kept.keep("t", 6, ("", None), {"subject_id": "t"}, 1)  # a later position forgets s
    assert kept.get("s", 6, "2020-06-01") is None
    assert kept.get("t", 6, "9999") == ({"subject_id": "t"}, 1)
    kept.keep("u", 6, ("", None), {}, 1)
    kept.keep("v", 6, ("", None), {}, 1)  # beyond two, the least recently read goes
    assert kept.get("t", 6, "2020") is None
    assert kept.get("v", 6, "2020") == ({}, 1)


def test_a_write_by_another_process_is_seen_by_the_next_read(tmp_path: Path) -> None:
    """The ends of the log are trusted without a transaction only while SQLite counts no
    commit to the file: a write by another process is seen at once."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    reading, writing = bootstrap(Settings(database_url=url)), bootstrap(Settings(database_url=url))
    try:
        subject = reading.ledger.execute(RegisterSubject(SubjectKind.PERSON, NAMED), ACTOR)
        reading.reader.point()
        first = reading.reader.subject_now(subject.subject_ids[0], READ_AT)
        assert first is not None
        assert reading.reader.ends.unchanged() == (first[0]["position"],) * 2
        assert reading.reader.subject_now(subject.subject_ids[0], READ_AT) == first  # kept
        writing.ledger.execute(RegisterSubject(SubjectKind.PERSON, NAMED), ACTOR)
        assert reading.reader.ends.unchanged() is None
        writing.reader.point()  # the other process's views take the write too
        later = reading.reader.subject_now(subject.subject_ids[0], READ_AT)
        assert later is not None and later[0]["position"] == first[0]["position"] + 1
    finally:
        reading.close()
        writing.close()
