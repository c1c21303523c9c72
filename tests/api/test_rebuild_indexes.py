"""A rebuild sets the read-only indexes aside while it projects, and every one is back after
it, or after the next start if the rebuild stopped half way: searches find every name."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from application.bootstrap import Services
from application.views.check import check_views
from application.views.rows import normalize
from application.views.schema import SET_ASIDE
from application.views.store import SQLiteViews
from tests.api.test_name_search import NAMES, TERMS, expected, register, search


@pytest.fixture
def recorded(client: TestClient) -> dict[str, str]:
    return {key: register(client, names) for key, names in NAMES.items()}


def schema_objects(services: Services) -> set[str]:
    """The names of the views' indexes (and on SQLite, of the triggers)."""
    if isinstance(services.views, SQLiteViews):
        sql = "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')"
    else:
        sql = "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()"
    with services.views.transaction(commit=False) as cursor:
        cursor.execute(sql)
        return {row["name"] for row in cursor.fetchall()}


def every_term_finds_what_it_should(client: TestClient, recorded: dict[str, str]) -> None:
    for term in TERMS:
        assert search(client, term) == expected(recorded, term), term


def test_a_rebuild_builds_again_every_index_it_set_aside(
    client: TestClient, services: Services, recorded: dict[str, str]
) -> None:
    services.reader.point()
    before = schema_objects(services)
    assert set(SET_ASIDE) <= before
    services.projector.rebuild()
    assert schema_objects(services) == before
    every_term_finds_what_it_should(client, recorded)
    assert check_views(services.ledger, services.views).ok


def test_names_recorded_while_a_rebuild_runs_are_found_after_it(
    client: TestClient, services: Services, recorded: dict[str, str]
) -> None:
    services.reader.point()
    services.views.set_aside_indexes()  # a rebuild has begun: no index keeps up with the names
    services.views.reset()
    later = {"late": register(client, ["Late Arrival Trading"])}
    services.projector.catch_up()
    services.views.restore_indexes()
    late = normalize("Late Arrival Trading")
    for term in TERMS:
        wanted = expected(recorded, term)
        if normalize(term) in late:
            wanted = sorted([*wanted, later["late"]])
        assert search(client, term) == wanted, term


def test_a_rebuild_stopped_half_way_is_made_whole_by_the_next_start(
    client: TestClient, services: Services, recorded: dict[str, str]
) -> None:
    services.reader.point()
    before = schema_objects(services)
    services.views.set_aside_indexes()
    services.views.reset()
    services.projector.subjects.clear()
    services.projector.catch_up()  # ... and the process stops here
    assert not set(SET_ASIDE) & schema_objects(services)
    services.views.create_table()  # what every start does
    assert schema_objects(services) == before
    every_term_finds_what_it_should(client, recorded)
