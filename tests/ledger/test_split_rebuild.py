"""A rebuild split between processes (SQLite and PostgreSQL): the same views as a rebuild in
one process, the views as they were until the parts' rows replace them, and as they were if a
part fails."""

from __future__ import annotations

import contextlib
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from application.bootstrap import Services, bootstrap
from application.commands import Citation, LinkSubjects, RegisterSubject, UnlinkSubjects
from application.settings import Settings
from application.stores.postgres_views import PostgresViews
from application.views import split_rebuild
from application.views.check import check_views, dump
from application.views.conditions import SubjectFilter
from application.views.queries import ViewQueries
from application.views.split_rebuild import EVENTS_PER_PART, MAX_PARTS, Share, parts_for
from application.views.store import SQLiteViews
from domain.values import Actor, Name, Profile, SubjectKind
from tests.ledger.test_projection import a_busy_history
from tests.support.clock import FakeClock
from tests.support.stores import PostgresDatabase

ACTOR = Actor("k1", "operator")
WHY = Citation(reason="same passport")

on_sqlite = pytest.mark.parametrize("store_kind", ["sqlite"])
on_databases = pytest.mark.parametrize("store_kind", ["sqlite", "postgres"])


def a_history_with_links(services: Services, clock: FakeClock) -> None:
    a_busy_history(services, clock)
    ledger = services.ledger
    people = [
        ledger.execute(
            RegisterSubject(
                kind=SubjectKind.PERSON,
                profile=Profile((Name(f"PERSON {n}"),)),
                citation=WHY,
            ),
            ACTOR,
        ).subject_ids[0]
        for n in range(4)
    ]
    linked = ledger.execute(LinkSubjects((people[0], people[1]), citation=WHY), ACTOR)
    ledger.execute(LinkSubjects((people[2], people[3]), citation=WHY), ACTOR)
    clock.advance(days=1)
    ledger.execute(UnlinkSubjects(linked.link_ids[0], citation=Citation(reason="no")), ACTOR)


def projected(services: Services, clock: FakeClock) -> Any:
    """A busy history projected: the views' dump."""
    a_busy_history(services, clock)
    services.projector.catch_up()
    return dump(services.views)


def scratch_left(services: Services, place: str) -> bool:
    """Whether a part's scratch file (and its folder) or schema is still there."""
    if isinstance(services.views, SQLiteViews):
        return Path(place).exists() or Path(place).parent.exists()
    with services.views.transaction(commit=False) as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?", (place,))
        return cursor.fetchone() is not None


def indexes(services: Services) -> list[str]:
    """The views' indexes (and on SQLite the name index's triggers)."""
    with services.views.transaction(commit=False) as cursor:
        if isinstance(services.views, SQLiteViews):
            cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')")
        else:
            cursor.execute(
                "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()"
            )
        return sorted(str(row["name"]) for row in cursor.fetchall())


@on_databases
@pytest.mark.parametrize("parts", [2, 3, 4])
def test_a_split_rebuild_ends_with_the_views_of_one_process(
    services: Services, clock: FakeClock, parts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_history_with_links(services, clock)
    services.projector.catch_up()
    position, before = dump(services.views)
    assert before["link_segments"] and before["measure_segments"]
    names = indexes(services)

    run_parts, places = split_rebuild._run_parts, []

    def kept(topic: str, env: Any, scratch: list[str], until: int) -> None:
        places.extend(scratch)
        run_parts(topic, env, scratch, until)

    monkeypatch.setattr(split_rebuild, "_run_parts", kept)
    assert services.projector.rebuild(parts=parts) == position
    assert dump(services.views) == (position, before)
    assert len(places) == parts
    assert not any(scratch_left(services, place) for place in places)
    assert indexes(services) == names
    assert check_views(services.ledger, services.views).ok
    # The log rows' known_from, each part knowing only its own events, is put right.
    with services.views.transaction(commit=False) as cursor:
        cursor.execute("SELECT known_from FROM ledger_log ORDER BY position")
        known = [row["known_from"] for row in cursor.fetchall()]
    assert known == sorted(known)


@on_databases
def test_events_recorded_while_the_parts_run_are_projected_after_them(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_busy_history(services, clock)
    services.projector.catch_up()
    run_parts = split_rebuild._run_parts

    def and_a_write_meanwhile(*args: Any) -> None:
        run_parts(*args)
        services.ledger.execute(
            RegisterSubject(
                kind=SubjectKind.ORGANIZATION, profile=Profile((Name("LATECOMER"),)), citation=WHY
            ),
            ACTOR,
        )

    monkeypatch.setattr(split_rebuild, "_run_parts", and_a_write_meanwhile)
    until = services.ledger.last_position()
    assert services.projector.rebuild(parts=2) == until
    assert services.views.position() == until < services.ledger.last_position()
    services.projector.catch_up()
    assert check_views(services.ledger, services.views).ok


@on_databases
def test_names_are_found_from_the_swap_on_before_the_indexes_are_back(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The views take the parts' rows at once, their names with them: a search between the
    swap and the end of the rebuild (building the indexes again takes a while on a long log)
    finds what it finds after it."""
    a_busy_history(services, clock)
    services.projector.catch_up()
    queries = ViewQueries(services.views)
    as_of = "2030-01-01T00:00:00.000000Z"

    def names(term: str) -> list[str]:
        page = queries.subjects(as_of, 10**6, SubjectFilter(name=term), None, 100)
        return [item["subject_id"] for item in page]

    terms = ["yusto", "institute", "korea"]
    before = {term: names(term) for term in terms}
    assert all(before.values())
    during: dict[str, list[str]] = {}
    views_class = type(services.views)
    restore = views_class.restore_indexes

    def searched_first(views: Any) -> None:
        during.update({term: names(term) for term in terms})
        restore(views)

    monkeypatch.setattr(views_class, "restore_indexes", searched_first)
    services.projector.rebuild(parts=2)
    assert during == before
    assert {term: names(term) for term in terms} == before


@on_databases
def test_a_part_that_fails_leaves_the_views_as_they_were(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = projected(services, clock)
    names = indexes(services)
    monkeypatch.setattr(split_rebuild, "_part_argument", lambda *_: "not the part's arguments")

    with pytest.raises(RuntimeError, match="the views are as they were"):
        services.projector.rebuild(parts=2)
    assert dump(services.views) == before
    assert indexes(services) == names


@on_sqlite
def test_with_no_room_beside_the_file_the_rebuild_runs_in_one_process(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = projected(services, clock)

    def no_room(**_: Any) -> None:
        raise PermissionError("read-only folder")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", no_room)
    monkeypatch.setattr(split_rebuild, "_run_parts", pytest.fail)  # no part starts
    assert services.projector.rebuild(parts=2) == before[0]
    assert dump(services.views) == before


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_the_swap_waits_for_a_projector_of_another_process(
    services: Services, clock: FakeClock
) -> None:
    projected(services, clock)
    views = services.views
    assert isinstance(views, PostgresViews)
    until = services.ledger.last_position()
    with views.part_places(2) as places:
        for place in places:
            PostgresViews.part_views(dict(services.ledger.env), place).datastore.close()
        with views.transaction(commit=True) as cursor:  # a projector's batch, in progress
            assert views.try_lock(cursor)
            swap = threading.Thread(target=views.take_parts, args=(places, until))
            swap.start()
            swap.join(timeout=1.0)
            assert swap.is_alive()
            with views.transaction(commit=False) as reader:
                reader.execute("SELECT count(*) AS n FROM measure_segments")
                row = reader.fetchone()
            assert row is not None and row["n"] > 0  # the views as they were, meanwhile
        swap.join(timeout=30)
        assert not swap.is_alive()
    assert views.position() == until


@pytest.mark.postgres
def test_a_database_user_who_may_not_create_schemas_rebuilds_in_one_process(
    postgres: PostgresDatabase, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger's user owns its schema, but may not create schemas in the database (a
    role that is not the database's owner): the parts have nowhere to go."""
    role, schema = f"limited_{uuid.uuid4().hex[:8]}", f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.url, autocommit=True) as admin:
        # The extension the name index needs is a database administrator's to create.
        with contextlib.suppress(psycopg.errors.UniqueViolation):  # another test's at once
            admin.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        admin.execute(SQL("CREATE ROLE {} LOGIN").format(Identifier(role)))
        admin.execute(
            SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(Identifier(schema), Identifier(role))
        )
    url = postgres.url.replace("://postgres@", f"://{role}@", 1) + f"?schema={schema}"
    assert f"://{role}@" in url
    services = bootstrap(Settings(database_url=url, projections="external"), clock=clock)
    try:
        before = projected(services, clock)
        monkeypatch.setattr(split_rebuild, "_run_parts", pytest.fail)  # no part starts
        assert services.projector.rebuild(parts=2) == before[0]
        assert dump(services.views) == before
    finally:
        services.close()
        with psycopg.connect(postgres.url, autocommit=True) as admin:
            admin.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)))
            admin.execute(SQL("DROP OWNED BY {}").format(Identifier(role)))
            admin.execute(SQL("DROP ROLE {}").format(Identifier(role)))


def test_only_a_long_log_in_a_database_is_split(services: Services, store_kind: str) -> None:
    splits = store_kind != "memory"
    assert parts_for(services.views, 100 * EVENTS_PER_PART, cpus=4) == (4 if splits else 1)
    assert parts_for(services.views, 3 * EVENTS_PER_PART, cpus=16) == (3 if splits else 1)
    assert parts_for(services.views, 100 * EVENTS_PER_PART, cpus=16) == (MAX_PARTS if splits else 1)
    assert parts_for(services.views, EVENTS_PER_PART - 1, cpus=16) == 1
    assert parts_for(services.views, 100 * EVENTS_PER_PART, cpus=1) == 1


@on_sqlite
@pytest.mark.parametrize("parts", [2, 4])
def test_a_share_of_the_log_is_read_as_a_part_would_keep_it(
    services: Services, clock: FakeClock, parts: int
) -> None:
    # Where the number of parts divides 16, SQLite's query picks a part's events by the last
    # hex digit of their aggregate's id: the same events a part keeps of the whole log.
    a_history_with_links(services, clock)
    ledger = services.ledger
    end = ledger.last_position()
    every = ledger.recorder.select_notifications(start=1, limit=end)

    def as_read(notifications: Any) -> list[tuple[Any, ...]]:
        return [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notifications
        ]

    for number in range(parts):
        share = Share(number, parts)
        kept = [n for n in every if share.holds(n.originator_id)]
        read: list[Any] = []
        start = 1
        while page := ledger.store.share_of_log(ledger.recorder, start, 3, end, share):
            read += page
            start = page[-1].id + 1
        assert kept and as_read(read) == as_read(kept)
    assert ledger.store.share_of_log(ledger.recorder, 1, end, end, Share(0, 3)) is None


def test_the_shares_hold_every_aggregate_once() -> None:
    from uuid import uuid4

    ids = [uuid4() for _ in range(200)]
    shares = [Share(number, 3) for number in range(3)]
    for aggregate_id in ids:
        assert sum(share.holds(aggregate_id) for share in shares) == 1
        assert shares[aggregate_id.int % 3].holds(str(aggregate_id))
    assert all(any(share.holds(i) for i in ids) for share in shares)
