"""A process loads the code of the store it runs on and no other: on SQLite, PostgreSQL's
driver (a sixth of the process's start) stays unloaded, from start to a request answered."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg

from api.errors import database_errors

ON_SQLITE = """
import sys
from fastapi.testclient import TestClient
from api.main import create_app
from application.bootstrap import bootstrap
from application.settings import Settings
from application.views.split_rebuild import parts_for

services = bootstrap(Settings(database_url=sys.argv[1]))
with TestClient(create_app(services=services)) as client:
    assert client.get("/health").status_code == 200
    assert client.get("/v1/subjects", params={"name": "x"}).status_code in (200, 401)
parts_for(services.views, 100_000)
services.close()
print(sorted(name for name in sys.modules if name.split(".")[0] in ("psycopg", "psycopg_pool")
             or name in ("eventsourcing.postgres", "application.stores.postgres")))
"""


def test_a_process_on_sqlite_never_loads_postgresql(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", ON_SQLITE, f"sqlite:///{tmp_path / 'ledger.db'}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"  # after the access lines


def test_the_errors_answered_as_the_databases_are_those_of_the_store_named() -> None:
    on_sqlite = database_errors("sqlite:///ledger.db")
    on_postgres = database_errors("postgresql://ledger@localhost/ledger")
    assert psycopg.Error not in on_sqlite
    assert psycopg.Error in on_postgres
    assert set(on_sqlite) < set(database_errors())
    assert psycopg.Error in database_errors()


def test_a_url_of_no_store_is_left_for_the_bootstrap_to_refuse() -> None:
    assert database_errors("mysql://ledger@localhost/ledger") == database_errors()
