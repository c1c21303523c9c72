"""The projector derives only the rows an event touched; its views must be exactly those of
deriving every open row of the subject after every event, however the log is cut into
batches, whether the projector remembers the subjects or starts cold, and on every store."""

from __future__ import annotations

import contextlib
import random
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.bootstrap import Services
from application.commands import Citation, RegisterSubject
from application.receipts import event_type
from application.views.batch import PRINTABLE_ASCII
from application.views.batch import storable as storable_rows
from application.views.check import DUMP_ORDER, dump
from application.views.projector import Projector
from application.views.rows import measure_rows, profile_rows, stamp
from domain.errors import LedgerError
from domain.subject import Subject
from domain.text import first_unacceptable
from domain.values import Actor, Name, Profile, SubjectKind
from tests.ledger.test_projection import a_busy_history
from tests.support.clock import FakeClock
from tests.support.operations import AUTHORITIES, KINDS, PROGRAMS, SOURCE, Op, command_for, day

ACTOR = Actor("k1", "operator")
Tables = dict[str, list[tuple[Any, ...]]]


def reference_views(services: Services) -> Tables:
    """The views as the full derivation makes them: after every event, the subject is read
    as it stood then and every one of its open rows derived again and compared by digest."""
    ledger = services.ledger
    tables: dict[str, dict[tuple[Any, ...], list[Any]]] = {
        "ledger_log": {},
        "measure_segments": {},
        "profile_segments": {},
        "name_segments": {},
        "link_segments": {},  # no links in these ledgers: tests/ledger/test_links.py has them
    }
    open_measures: dict[str, dict[str, tuple[Any, ...]]] = {}
    open_profiles: dict[str, dict[str, tuple[Any, ...]]] = {}
    known_from = ""
    for notification in ledger.recorder.select_notifications(start=1, limit=10**9):
        event: Any = ledger.mapper.to_domain_event(notification)
        position = notification.id
        known_from = max(known_from, stamp(event.timestamp))
        is_subject = isinstance(event, Subject.Event)
        tables["ledger_log"][(position,)] = [
            position, str(event.originator_id), event.originator_version, event_type(event),
            int(is_subject), stamp(event.timestamp), known_from,
        ]  # fmt: skip
        if not is_subject:
            continue
        subject = ledger.subject(event.originator_id, event.originator_version)
        subject_id = str(subject.id)
        measures = open_measures.setdefault(subject_id, {})
        for gone in measures.keys() - measure_rows(subject).keys():
            tables["measure_segments"][measures.pop(gone)][4] = position
        for digest, row in measure_rows(subject).items():
            if digest not in measures:
                measures[digest] = (row.measure_id, row.eff_from, position)
                tables["measure_segments"][measures[digest]] = [
                    row.measure_id, row.eff_from, position, row.eff_to, None, row.subject_id,
                    row.authority, row.kind, row.subject_kind, row.programs, row.digest,
                    row.terms_digest, row.document,
                ]  # fmt: skip
        profiles = open_profiles.setdefault(subject_id, {})
        for gone in profiles.keys() - profile_rows(subject).keys():
            key = profiles.pop(gone)
            tables["profile_segments"][key][4] = position
            for name_key, name_row in tables["name_segments"].items():
                if name_key[:3] == key:
                    name_row[5] = position
        for digest, profile in profile_rows(subject).items():
            if digest not in profiles:
                key = (profile.subject_id, profile.eff_from, position)
                profiles[digest] = key
                tables["profile_segments"][key] = [
                    profile.subject_id, profile.eff_from, position, profile.eff_to, None,
                    profile.kind, profile.primary_name, profile.countries, profile.refs,
                    profile.digest, profile.document,
                ]  # fmt: skip
                for ordinal, (name, name_type, normalized) in enumerate(profile.names):
                    tables["name_segments"][(*key, ordinal)] = [
                        *key, ordinal, profile.eff_to, None, name, name_type, normalized,
                    ]  # fmt: skip
    return {
        table: [tuple(row) for _, row in sorted(rows.items())]
        for table, rows in ((t, tables[t]) for t in DUMP_ORDER)
    }


def storable(tables: Tables) -> Tables:
    return {table: [tuple(row) for row in storable_rows(rows)] for table, rows in tables.items()}


def a_varied_ledger(services: Services, clock: FakeClock, seed: int) -> None:
    """The founding example and a busy history, then subjects of every kind with random
    impositions, amendments, rescissions, voidings and renames (refused ones included)."""
    a_busy_history(services, clock)
    draw = random.Random(seed)
    subjects: list[UUID] = []
    for index in range(6):
        receipt = services.ledger.execute(
            RegisterSubject(
                kind=draw.choice(list(SubjectKind)),
                profile=Profile((Name(f"SUBJECT {index}"),)),
                effective_at=day(draw.randint(0, 10)),
                citation=Citation(source=SOURCE),
            ),
            ACTOR,
        )
        subjects.append(receipt.subject_ids[0])
    for _ in range(120):
        clock.advance(seconds=draw.randint(1, 3600))
        # A refused command records nothing: the views must not change either.
        with contextlib.suppress(LedgerError):
            services.ledger.execute(command_for(_an_op(draw), draw.choice(subjects)), ACTOR)


def _an_op(draw: random.Random) -> Op:
    kind = draw.choice(["impose", "impose", "amend", "rescind", "void", "profile"])
    start = draw.randint(0, 40)
    if kind == "impose":
        length = draw.choice([None, draw.randint(-2, 25)])
        return Op(
            kind,
            {
                "kind": draw.choice(KINDS),
                "authority": draw.choice(AUTHORITIES),
                "programs": tuple(draw.sample(PROGRAMS, draw.randint(1, 2))),
                "start": day(start),
                "until": None if length is None else day(start + length),
            },
        )
    number = draw.randint(1, 3)
    if kind == "amend":
        until = draw.choice([None, draw.randint(0, 40)])
        return Op(
            kind,
            {
                "number": number,
                "programs": tuple(draw.sample(PROGRAMS, draw.randint(1, 2))),
                "effective_at": day(start),
                "until": None if until is None else day(until),
            },
        )
    if kind == "rescind":
        return Op(kind, {"number": number, "effective_at": day(start)})
    if kind == "void":
        return Op(kind, {"target": draw.randint(1, 8)})
    return Op(
        kind, {"name": draw.choice(["ALPHA", "BRAVO", "CHARLIE"]), "effective_at": day(start)}
    )


@pytest.mark.slow_on_postgres
@pytest.mark.parametrize("batch_size", [1, 7, 500])
def test_incremental_views_equal_the_full_derivation(
    services: Services, clock: FakeClock, batch_size: int
) -> None:
    a_varied_ledger(services, clock, seed=batch_size)
    # Catch up while the log grows, by a projector that keeps its subjects between batches
    # and by one that starts cold and must read the open rows from the views.
    warm = Projector(services.ledger, services.views, batch_size=batch_size)
    last = services.ledger.last_position()
    for goal in range(1, last + 1, max(last // 5, 1)):
        warm.catch_up(until=goal)
        Projector(services.ledger, services.views, batch_size=batch_size).catch_up(goal + 3)
    warm.catch_up()
    position, caught_up = dump(services.views)
    assert position == last

    expected = storable(reference_views(services))
    assert caught_up == expected

    services.projector.batch_size = batch_size
    services.projector.rebuild()
    assert dump(services.views) == (position, expected)


@pytest.mark.slow_on_postgres
def test_a_projector_with_a_tiny_memory_projects_the_same_rows(
    services: Services, clock: FakeClock
) -> None:
    a_varied_ledger(services, clock, seed=11)
    services.projector.cache_size = 2
    services.projector.batch_size = 5
    services.projector.catch_up()
    assert dump(services.views)[1] == storable(reference_views(services))


@given(st.lists(st.one_of(st.text(), st.integers(), st.none()), max_size=6))
def test_a_row_is_kept_as_it_is_exactly_when_its_text_is_printable_ascii(row: list[Any]) -> None:
    text = "".join(value for value in row if isinstance(value, str))
    kept = storable_rows([row])[0]
    if text.isascii() and text.isprintable():
        assert kept == row
    else:
        assert all(first_unacceptable(value) is None for value in kept if isinstance(value, str))


def test_the_printable_bytes_are_those_str_isprintable_accepts_of_ascii() -> None:
    accepted = bytes(code for code in range(128) if chr(code).isprintable())
    assert accepted == PRINTABLE_ASCII
