"""A large ledger for the scale benchmark, built straight into the event store.

Recording millions of events through HTTP or ``Ledger.execute`` one write at a time would take
days; the events themselves are what matter to the reads. So the ledger's own command
handlers make them in memory (``application.handlers``: the same aggregates, rules and
reference claims as a real write), the ledger's mapper turns them into stored events, and the
recorder inserts them in batches of about 10,000 events, one transaction each.

Every subject lives five events: registered with a reference (and its reference claim) and
designated in one batch; in the next batch, recorded some days later, its profile gains an
alias and one of three things happens: the designation is rescinded, its programs amended, or a
visa ban added. Recorded times run from 2016 to mid-2024 across the batches, whatever the size,
so a date picks the same share of the history at every size.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

NAMESPACE = UUID("6f1d7c2e-3b8a-4e59-9c41-5d2a0b7e8f13")
SUBJECTS_PER_BATCH = 2000
EVENTS_PER_SUBJECT = 5
HISTORY_START = datetime(2016, 1, 1, tzinfo=UTC)
HISTORY_END = datetime(2024, 6, 1, tzinfo=UTC)
PROGRAMS = ("SDGT", "IRGC", "DPRK3", "GLOMAG", "RUSSIA-EO14024", "CYBER2", "IRAN", "SYRIA")
COUNTRIES = ("Russia", "Iran", "Syria", "Korea, North", "Venezuela", "Burma", "Belarus", "Cuba")
_SYLLABLES_TEXT = (
    "ka ro mi sa to va le ni ko da pe tu za bo ri na he go lu fa ve ma di so ya ru ki te no "
    "bi ga pu za ho le ne mo si tra dre"
)
SYLLABLES = tuple(_SYLLABLES_TEXT.split())
_GIVEN_TEXT = (
    "Dmitriy Ali Hassan Maria Olga Ivan Kim Jose Nikolai Fatima Omar Elena Sergei Yusuf "
    "Anna Pavel Laila Mikhail Reza Sofia Andrei Layla Viktor Mariam Karim Irina Ahmad "
    "Natalia Boris Zainab Oleg Huda Yuri Samira Igor Amir Tatiana Farid Ludmila Khalid Vera "
    "Said Galina Tariq Svetlana Rashid Ekaterina Nasser Alla Walid Marina Bashir Nadia "
    "Kamal Inna Jamal Lidia Hamid Raisa Majid Zoya Fuad Tamara Adel Polina Salim Alina "
    "Nabil Valentina Ziad Oksana Munir Yelena Faisal Larisa Habib Daria Jalal Nina Qasim "
    "Alexandra Rami Ksenia Sami Lyubov Tarek Eva Wael Diana Yasin Kira Zaki Alisa Bilal "
    "Yana Hadi Lara Imad Zlata Nizar Sara"
)
GIVEN = tuple(_GIVEN_TEXT.split())


def subject_id(n: int) -> UUID:
    return uuid.uuid5(NAMESPACE, f"subject {n}")


def surname(n: int) -> str:
    """A surname for each of 10,000 combinations: two syllables and an ending."""
    a, b, c = n % 40, n // 40 % 40, n // 1600 % 6
    endings = ("ov", "enko", "i", "ani", "ez", "in")
    return (SYLLABLES[a] + SYLLABLES[b] + endings[c]).upper()


def primary_name(n: int) -> str:
    """Unique for every n below 1,000,000: a surname, a given name, a patronym."""
    return f"{surname(n % 9600)}, {GIVEN[n // 9600 % 100]} {GIVEN[n // 960_000 % 100]}ovich"


def alias(n: int) -> str:
    return primary_name(n).replace("OV,", "OFF,").replace("I,", "Y,").title()


def subjects_for(events: int) -> int:
    return events // EVENTS_PER_SUBJECT


@dataclass(frozen=True)
class BuildReport:
    events: int
    seconds: float


class Generator:
    """Makes each batch's events with the ledger's own handlers, in memory."""

    def __init__(self, subjects: int, mapper: Any) -> None:
        from application.commands import Citation
        from application.ledger import Ledger
        from application.storage import persistence_env
        from domain.values import Actor, Authority, Source

        self.subjects = subjects
        self.mapper = mapper
        self.batches = -(-subjects // SUBJECTS_PER_BATCH)
        self.step = (HISTORY_END - HISTORY_START) / (self.batches + 1)
        # Nothing is saved here: the handlers only look aggregates up, and find none.
        self.memory = Ledger(env=persistence_env("memory://"))
        self.actor = Actor("bench", "scale benchmark")
        self.citation = Citation(source=Source(Authority.US_OFAC, "scale benchmark"))
        self.carried: tuple[dict[UUID, Any], dict[UUID, Any]] = ({}, {})

    def batches_of_stored_events(self, first: int = 0) -> Iterator[list[Any]]:
        """Every batch from ``first`` on; the batch before it is made again (and not
        returned) for the subjects its follow-ups need."""
        if first > 0:
            self.batch(first - 1, follow_ups=False)
        for batch in range(first, self.batches + 1):
            yield self.batch(batch)

    def batch_after(self, recorded: int) -> int | None:
        """The batch that follows ``recorded`` events, or None if no batch ends there."""
        total = 0
        for batch in range(self.batches + 1):
            if total == recorded:
                return batch
            total += 3 * len(subjects_in(batch, self.subjects))
            total += 2 * len(subjects_in(batch - 1, self.subjects))
        return self.batches + 1 if total == recorded else None

    def batch(self, number: int, follow_ups: bool = True) -> list[Any]:
        from application.handlers import Unit, handle

        recorded_at = HISTORY_START + self.step * (number + 1)
        unit = Unit(self.memory.repository, self.actor, recorded_at)
        subjects, claims = self.carried
        unit.subjects.update(subjects)
        unit.claims.update(claims)
        for n in subjects_in(number - 1, self.subjects) if follow_ups else ():
            for command in self.follow_up(n):
                handle(command, unit)
        for n in subjects_in(number, self.subjects):
            for command in self.first(n, recorded_at):
                handle(command, unit)
        stored = []
        for aggregate in unit.aggregates():
            stored += [self.mapper.to_stored_event(e) for e in aggregate.collect_events()]
        new = {subject_id(n) for n in subjects_in(number, self.subjects)}
        self.carried = (
            {k: v for k, v in unit.subjects.items() if k in new},
            {k: v for k, v in unit.claims.items() if v.subject_id in new},
        )
        return stored

    def first(self, n: int, recorded_at: datetime) -> Iterator[Any]:
        from application.commands import ImposeMeasure, RegisterSubject
        from domain.values import Authority, MeasureKind, Name, Profile, Reference, SubjectKind

        effective = recorded_at - timedelta(days=n % 90)
        yield RegisterSubject(
            kind=SubjectKind.PERSON if n % 3 else SubjectKind.ORGANIZATION,
            profile=Profile(
                (Name(primary_name(n)),),
                birth_dates=(f"{1940 + n % 60}-{1 + n % 12:02d}-{1 + n % 28:02d}",),
                nationalities=(COUNTRIES[n % len(COUNTRIES)],),
            ),
            references=(Reference(Authority.US_OFAC, str(100_000 + n)),),
            effective_at=effective,
            citation=self.citation,
            subject_id=subject_id(n),
        )
        yield ImposeMeasure(
            subject=subject_id(n),
            kind=MeasureKind.DESIGNATION,
            authority=Authority.US_OFAC,
            programs=(PROGRAMS[n % len(PROGRAMS)],),
            effective_from=effective,
            legal_basis="E.O. 13224",
            citation=self.citation,
        )

    def follow_up(self, n: int) -> Iterator[Any]:
        from application.commands import AmendMeasure, AmendProfile, ImposeMeasure, RescindMeasure
        from domain.values import Authority, MeasureKind, Name, NameType, Profile

        registered = HISTORY_START + self.step * (n // SUBJECTS_PER_BATCH + 1)
        later = registered - timedelta(days=n % 90) + timedelta(days=30 + n % 60)
        yield AmendProfile(
            subject=subject_id(n),
            profile=Profile(
                (Name(primary_name(n)), Name(alias(n), NameType.AKA)),
                birth_dates=(f"{1940 + n % 60}-{1 + n % 12:02d}-{1 + n % 28:02d}",),
                nationalities=(COUNTRIES[n % len(COUNTRIES)],),
            ),
            effective_at=later,
            citation=self.citation,
        )
        measure = f"{subject_id(n)}.1"
        if n % 3 == 0:
            yield RescindMeasure(measure, later, citation=self.citation)
        elif n % 3 == 1:
            program = PROGRAMS[n % len(PROGRAMS)]
            added = "IRGC" if program == "SDGT" else "SDGT"
            yield AmendMeasure(measure, later, programs=(program, added), citation=self.citation)
        else:
            yield ImposeMeasure(
                subject=subject_id(n),
                kind=MeasureKind.VISA_BAN,
                authority=Authority.US_STATE,
                programs=("7031(c)",),
                effective_from=later,
                covers_family=n % 2 == 0,
                citation=self.citation,
            )


def subjects_in(batch: int, subjects: int) -> range:
    if batch < 0:
        return range(0)
    return range(batch * SUBJECTS_PER_BATCH, min((batch + 1) * SUBJECTS_PER_BATCH, subjects))


def resumable(ledger: Any, subjects: int) -> bool:
    """Whether the events in the store end where a batch of this build ends."""
    return Generator(subjects, ledger.mapper).batch_after(ledger.last_position()) is not None


def build(ledger: Any, subjects: int) -> BuildReport:
    """Insert the events of ``subjects`` subjects into the ledger's store, showing progress;
    a build stopped part way carries on after its last batch.

    The next batch is made while the last one is inserted (the insert waits on the
    database most of the time)."""
    generator = Generator(subjects, ledger.mapper)
    total = subjects * EVENTS_PER_SUBJECT
    already = ledger.last_position()
    first = generator.batch_after(already)
    if first is None:
        raise RuntimeError(f"the store holds {already} events, which no batch ends at")
    pending: queue.Queue[list[Any] | None] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []
    began = time.perf_counter()

    def make() -> None:
        try:
            for stored in generator.batches_of_stored_events(first):
                pending.put(stored)
        except BaseException as error:
            failure.append(error)
        finally:
            pending.put(None)

    maker = threading.Thread(target=make, daemon=True)
    maker.start()
    inserted = already
    with _progress() as bar:
        task = bar.add_task("recording events", total=total, completed=already)
        while (stored := pending.get()) is not None:
            ledger.recorder.insert_events(stored)
            inserted += len(stored)
            bar.update(task, completed=inserted)
            _log_line("recorded", inserted - already, total - already, began)
    maker.join()
    if failure:
        raise failure[0]
    return BuildReport(inserted - already, time.perf_counter() - began)


def project(projector: Any, last: int) -> BuildReport:
    """Bring the views up to the end of the log with the ledger's projector, showing
    progress; returns the events projected and the time taken."""
    from application.views.projector import BUSY, NOTHING_LEFT

    first = projector.views.position()
    began = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task("projecting views", total=last, completed=first)
        while (outcome := projector.step()) != NOTHING_LEFT:
            if outcome == BUSY:  # another projector (a ``ledger project`` worker) holds the views
                time.sleep(0.5)
            position = projector.views.position()
            bar.update(task, completed=position)
            _log_line("projected", position - first, last - first, began)
    return BuildReport(projector.views.position() - first, time.perf_counter() - began)


_EVERY = 250_000


def _log_line(what: str, done: int, total: int, began: float) -> None:
    """Where no terminal shows the bar (a run under nohup), a line now and then instead."""
    last = _last_step.get(what, 0)
    _last_step[what] = done
    if sys.stderr.isatty() or (done // _EVERY == last // _EVERY and done < total):
        return
    elapsed = time.perf_counter() - began
    print(
        f"{time.strftime('%H:%M:%S')} {what} {done:,} of {total:,} events in {elapsed:,.0f} s "
        f"({done / elapsed:,.0f} events/s)",
        file=sys.stderr,
        flush=True,
    )


_last_step: dict[str, int] = {}


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
