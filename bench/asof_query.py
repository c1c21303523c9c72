"""How much faster the bitemporal views answer "the list as of a date" than a replay of the log.

Builds a ledger of at least 100,000 measures on a SQLite file (subjects, each designated;
some rescinded, some amended later, so that the history is not trivial), projects the views,
then answers the same question both ways:

- views: every page of GET /v1/measures?as_of=...&known_at=... through the application's
  reader (the same code the endpoint calls), and
- replay: read the whole log, fold every subject's events, keep the measures in force.

Both answers are checked to be equal before the ratio is printed. Run with
``.venv/bin/python bench/asof_query.py [--measures 100000] [--database sqlite:///...]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from application.bootstrap import Services, bootstrap
from application.commands import (
    AmendMeasure,
    Citation,
    Command,
    ImposeMeasure,
    RecordAction,
    RegisterSubject,
    RescindMeasure,
)
from application.settings import Settings
from application.views.conditions import MeasureFilter
from domain.subject import Subject
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

ACTOR = Actor("bench", "benchmark")
CITED = Citation(source=Source(Authority.US_OFAC, "benchmark"))
START = datetime(2015, 1, 1, tzinfo=UTC)
AS_OF = datetime(2021, 6, 1, tzinfo=UTC)
PROGRAMS = ("SDGT", "IRGC", "DPRK3", "GLOMAG", "RUSSIA-EO14024")


def subject_items(n: int) -> Iterator[Command]:
    key = f"s{n}"
    yield RegisterSubject(
        kind=SubjectKind.ORGANIZATION,
        profile=Profile((Name(f"COMPANY NUMBER {n}"),)),
        references=(Reference(Authority.US_OFAC, str(n)),),
        effective_at=START,
        citation=CITED,
        key=key,
    )
    yield ImposeMeasure(
        subject=key,
        kind=MeasureKind.DESIGNATION,
        authority=Authority.US_OFAC,
        programs=(PROGRAMS[n % len(PROGRAMS)],),
        effective_from=START + timedelta(days=n % 2500),
        citation=CITED,
    )


def later_items(subject_ids: list[str]) -> Iterator[Command]:
    """Rescind every seventh measure and amend every eleventh, at dates spread in time."""
    for n, subject_id in enumerate(subject_ids):
        measure = f"{subject_id}.1"
        moment = START + timedelta(days=n % 2500 + 30 + n % 700)
        if n % 7 == 0:
            yield RescindMeasure(measure, moment, citation=CITED)
        elif n % 11 == 0:
            yield AmendMeasure(measure, moment, programs=("SDGT", "IRGC"), citation=CITED)


def build(services: Services, measures: int, batch: int = 1000) -> None:
    subject_ids: list[str] = []
    for start in range(0, measures, batch):
        items = [
            item for n in range(start, min(start + batch, measures)) for item in subject_items(n)
        ]
        receipt = services.ledger.execute(RecordAction(tuple(items)), ACTOR)
        subject_ids += [str(s) for s in receipt.subject_ids]
    later = list(later_items(subject_ids))
    for start in range(0, len(later), batch):
        services.ledger.execute(RecordAction(tuple(later[start : start + batch])), ACTOR)


def by_views(services: Services, position: int) -> dict[str, tuple[str, ...]]:
    reader = services.reader
    point = reader.point(AS_OF, f"position:{position}")
    found: dict[str, tuple[str, ...]] = {}
    after = None
    while True:
        page = reader.measures(point, MeasureFilter(authority="US-OFAC"), after, 1000)
        found.update((m["measure_id"], tuple(m["programs"])) for m in page.items)
        if page.next_cursor is None:
            return found
        after = page.items[-1]["measure_id"]


def by_replay(services: Services, position: int) -> dict[str, tuple[str, ...]]:
    ledger = services.ledger
    subjects: dict[object, Subject] = {}
    start = 1
    while notes := ledger.recorder.select_notifications(start=start, limit=5000, stop=position):
        for note in notes:
            event = ledger.mapper.to_domain_event(note)
            if isinstance(event, Subject.Registered):
                created = event.mutate(None)
                assert created is not None
                subjects[event.originator_id] = created
            elif isinstance(event, Subject.Event):
                event.mutate(subjects[event.originator_id])
        start = notes[-1].id + 1
    return {
        m.id: m.terms_at(AS_OF).programs
        for subject in subjects.values()
        for m in subject.state.measures_in_force(AS_OF)
        if m.authority == Authority.US_OFAC
    }


def timed(label: str, action, repeat: int = 3):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - began)
    print(f"{label:<34} {best:8.3f} s (best of {repeat})")
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measures", type=int, default=100_000)
    parser.add_argument("--database", default=None, help="default: a new SQLite file")
    args = parser.parse_args()
    database = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    services = bootstrap(Settings(database_url=database, projections="external"))
    try:
        began = time.perf_counter()
        build(services, args.measures)
        position = services.ledger.last_position()
        took = time.perf_counter() - began
        print(f"recorded {args.measures} measures, {position} events in {took:.1f} s")
        began = time.perf_counter()
        services.projector.catch_up()
        print(f"projected the views in {time.perf_counter() - began:.1f} s")
        views_time, from_views = timed(
            "as_of list from the views", lambda: by_views(services, position)
        )
        replay_time, from_replay = timed(
            "as_of list by replaying the log", lambda: by_replay(services, position), repeat=1
        )
        assert from_views == from_replay, "the two answers differ"
        print(f"measures in force as of {AS_OF.date()}: {len(from_views)} (both answers equal)")
        print(f"ratio replay / views: {replay_time / views_time:.1f}x faster from the views")
    finally:
        services.close()


if __name__ == "__main__":
    main()
