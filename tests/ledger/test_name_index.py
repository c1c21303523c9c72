"""The name index on every store, filled row by row as the projector writes names.

SQLite's index walks the rows holding a term in subject id order, which its rowids follow
only to the first 40 bits of an id: subjects sharing those bits are written here in reverse
order, and every page must still come in id order. Views made before the index existed get
it filled when the tables are created.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from application.bootstrap import Services, bootstrap
from application.settings import Settings
from application.views.conditions import SubjectFilter
from application.views.queries import ViewQueries
from application.views.rows import normalize
from application.views.schema import BEGINNING, SQLITE_NAME_SEARCH_TRIGGERS
from application.views.store import SQLiteViews
from tests.support.clock import FakeClock

NOW = "2030-01-01T00:00:00.000000Z"
# Three groups of ids; the middle one shares its first 40 bits among four subjects.
IDS = [
    "00000000-0000-4000-8000-000000000001",
    "5a5a5a5a-5a00-4000-8000-000000000004",
    "5a5a5a5a-5a00-4000-8000-000000000002",
    "5a5a5a5a-5aff-4000-8000-000000000001",
    "5a5a5a5a-5a00-4000-8000-000000000003",
    "ffffffff-ffff-4fff-bfff-ffffffffffff",
    "5a5a5a5a-5a00-4000-8000-000000000001",
]


def write(services: Services, subject_id: str, names: list[str], position: int) -> None:
    """A subject's profile row and its name rows, as the projector writes them."""
    document = json.dumps({"subject_id": subject_id, "names": names})
    with services.views.transaction(commit=True) as cursor:
        cursor.execute(
            "INSERT INTO profile_segments (subject_id, eff_from, rec_from, eff_to, rec_to, "
            "kind, primary_name, countries, refs, digest, document) "
            "VALUES (?, ?, ?, NULL, NULL, 'person', ?, '', '', 'd', ?)",
            [subject_id, BEGINNING, position, names[0], document],
        )
        cursor.executemany(
            "INSERT INTO name_segments (subject_id, eff_from, rec_from, ordinal, eff_to, "
            "rec_to, name, name_type, normalized) VALUES (?, ?, ?, ?, NULL, NULL, ?, 'aka', ?)",
            [
                [subject_id, BEGINNING, position, ordinal, name, normalize(name)]
                for ordinal, name in enumerate(names)
            ],
        )


def pages(services: Services, name: str, limit: int, kind: str | None = None) -> list[str]:
    queries = ViewQueries(services.views)
    found: list[str] = []
    after: str | None = None
    while True:
        page = queries.subjects(NOW, 10**6, SubjectFilter(name=name, kind=kind), after, limit)
        found.extend(item["subject_id"] for item in page)
        if len(page) < limit:
            return found
        after = found[-1]


@pytest.mark.parametrize("limit", [1, 2, 3, 100])
def test_pages_come_in_id_order_whatever_order_the_names_were_written_in(
    services: Services, limit: int
) -> None:
    for position, subject_id in enumerate(IDS, start=1):
        write(services, subject_id, [f"Common Name {position}", "Other Alias"], position)
    write(services, "5a5a5a5a-5a00-4000-8000-000000000000", ["Someone Else"], 99)
    assert pages(services, "common name", limit) == sorted(IDS)
    assert pages(services, "name 3", limit) == [IDS[2]]
    assert pages(services, "other alias", limit, kind="person") == sorted(IDS)
    assert pages(services, "other alias", limit, kind="vessel") == []
    assert pages(services, "someone", limit) == ["5a5a5a5a-5a00-4000-8000-000000000000"]


def name_index_rows(services: Services) -> int:
    with services.views.transaction(commit=False) as cursor:
        cursor.execute("SELECT count(*) AS n FROM name_search")
        row = cursor.fetchone()
    assert row is not None
    return int(row["n"])


def test_sqlite_views_made_before_the_index_get_it_filled(tmp_path: Path, clock: FakeClock) -> None:
    """SQLite's index is a table of its own, filled once for views made before it (which
    had neither the table nor its triggers), and searches read the names themselves until
    then; PostgreSQL's index is built over the rows already there by CREATE INDEX itself."""
    url = f"sqlite:///{tmp_path}/before-the-index.db"
    services = bootstrap(Settings(database_url=url, projections="external"), clock=clock)
    try:
        assert isinstance(services.views, SQLiteViews)
        for position, subject_id in enumerate(IDS, start=1):
            write(services, subject_id, [f"Common Name {position}"], position)
        with services.views.transaction(commit=True) as cursor:
            for trigger in SQLITE_NAME_SEARCH_TRIGGERS:
                cursor.execute(f"DROP TRIGGER {trigger}")
            cursor.execute("DROP TABLE name_search")
        assert pages(services, "common name", 2) == sorted(IDS)
        services.views.create_table()
        assert name_index_rows(services) == len(IDS)
        assert pages(services, "common name", 2) == sorted(IDS)
        services.views.create_table()  # once only
        assert name_index_rows(services) == len(IDS)
    finally:
        services.close()


def test_sqlite_searches_do_not_trust_an_index_whose_triggers_are_set_aside(
    tmp_path: Path, clock: FakeClock
) -> None:
    """While a rebuild has set the triggers aside, names written meanwhile are not indexed:
    a search then reads the names themselves, and finds them."""
    url = f"sqlite:///{tmp_path}/set-aside.db"
    services = bootstrap(Settings(database_url=url, projections="external"), clock=clock)
    try:
        assert isinstance(services.views, SQLiteViews)
        write(services, IDS[0], ["Common Name 1"], 1)
        services.views.set_aside_indexes()
        write(services, IDS[1], ["Common Name 2"], 2)
        assert name_index_rows(services) == 1
        assert pages(services, "common name", 2) == sorted(IDS[:2])
        services.views.restore_indexes()
        assert name_index_rows(services) == 2
        assert pages(services, "common name", 2) == sorted(IDS[:2])
    finally:
        services.close()
