"""The floors the HTTP read benchmarks compare the ledger with.

The bare floor: async endpoints that answer with dicts shaped like the ledger's own answers
(a subject document of one designation; a page of 100 measures), built afresh for every
request, served by uvicorn with the settings ``ledger serve`` uses (uvloop, and httptools with each
answer's head written with its body where the ledger under test has that protocol; no uvicorn
access log). No database, no key, no logging: what is left is the cost
of the framework and the server, which the ledger cannot go below.

The work floor (``/floor/...``, when ``BARE_FLOOR_DB`` names a SQLite file): the least any
read of a ledger on this stack must do, and nothing more. Check the bearer token against a
digest held in memory; read stored JSON by an indexed key (a subject document, or a page of
measure documents) where the ledger reads it on SQLite: the subject on the event loop, the
page in a worker thread (``api.blocking``); write one JSON access line with structlog;
answer the bytes as read, without decoding them. No roles, rate limit, read point, metrics,
request id or problem documents: the ledger's distance from this floor is its own code;
this floor's distance from the bare one is the stack's.

The name floor (``/floor/v1/names/{subject_id}``, when ``BARE_FLOOR_PG`` names a PostgreSQL
database holding a ledger's views): what a name search on PostgreSQL must still do once an
index has found its subject, handed here in the path. Check the token as above; in a worker
thread, read the subject's open profile document by its primary key; answer it as a page of
one, with the access line. The ledger's distance from it is the search itself (the trigram
look-up and the page query) and the ledger's own code.

Run: ``.venv/bin/python bench/bare_app.py --port 8001``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

import structlog
import uvicorn
from fastapi import FastAPI, Request, Response

app = FastAPI(title="bare")

SOURCE = {
    "authority": "US-OFAC",
    "reference": "OFAC Recent Actions 20211210: North Korea designations; SDN list 2021-12-10",
    "url": "https://ofac.treasury.gov/recent-actions/20211210",
    "published_on": "2021-12-10",
    "observed_at": None,
    "sha256": None,
}


def measure(subject_id: str, number: int) -> dict[str, Any]:
    return {
        "measure_id": f"{subject_id}.{number}",
        "subject_id": subject_id,
        "kind": "designation",
        "authority": "US-OFAC",
        "primary_name": "SOIN, Dmitriy Yurevich",
        "references": [{"authority": "US-OFAC", "id": "34021"}],
        "programs": ["DPRK3"],
        "legal_basis": None,
        "covers_family": False,
        "divestment_deadline": None,
        "details": None,
        "effective_from": "2021-12-10T00:00:00Z",
        "effective_until": None,
        "rescinded_at": None,
        "imposed_by": f"{subject_id}@2",
        "rescinded_by": None,
        "source": dict(SOURCE),
        "reason": None,
        "status": "in_force",
        "in_force": True,
    }


def subject(subject_id: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "subject_id": subject_id,
        "kind": "person",
        "version": 2,
        "references": [{"authority": "US-OFAC", "id": "34021"}],
        "profile": {
            "primary_name": "SOIN, Dmitriy Yurevich",
            "names": [
                {"value": "SOIN, Dmitriy Yurevich", "type": "primary"},
                {"value": "SOIN, Dmitry Yuryevich", "type": "aka"},
                {"value": "SOYIN, Dmitriy Yuryevich", "type": "aka"},
            ],
            "identifiers": [],
            "birth_dates": ["1969-08-07"],
            "birth_places": [],
            "nationalities": ["Russia"],
            "addresses": [],
            "links": ["EUROPEAN INSTITUTE JUSTO"],
            "title": None,
            "gender": "Male",
            "remarks": None,
            "details": [
                {"label": "secondary_sanctions_risk", "value": "North Korea Sanctions Regulations"},
                {"label": "transactions_prohibited", "value": "North Korea Sanctions Regulations"},
            ],
        },
        "measures": [measure(subject_id, 1)],
        "registered_at": "2021-12-10T18:50:16Z",
        "updated_at": "2021-12-10T18:50:16Z",
        "as_of": now,
        "known_at": "now",
        "position": 83,
    }


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/v1/subjects/{subject_id}")
async def get_subject(subject_id: str) -> dict[str, Any]:
    return subject(subject_id)


@app.get("/v1/measures")
async def list_measures(as_of: str | None = None, limit: int = 100) -> dict[str, Any]:
    items = [measure(f"7c8cd24f-bfad-5755-b9af-{n:012d}", 1) for n in range(limit)]
    return {
        "items": items,
        "next_cursor": "bare",
        "as_of": as_of or datetime.now(UTC).isoformat(),
        "known_at": "now",
        "position": 83,
    }


# The work floor -----------------------------------------------------------------------------

FLOOR_DB = os.environ.get("BARE_FLOOR_DB", "")
FLOOR_PG = os.environ.get("BARE_FLOOR_PG", "")
TOKEN_SHA256 = os.environ.get("BARE_FLOOR_TOKEN_SHA256", "")
_threads = ThreadPoolExecutor(40, thread_name_prefix="floor")
_local = threading.local()
access = structlog.get_logger("floor.access")


def _connection() -> sqlite3.Connection:
    connection: sqlite3.Connection | None = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = sqlite3.connect(FLOOR_DB)
    return connection


def _subject_document(subject_id: str) -> bytes | None:
    row = (
        _connection()
        .execute("SELECT body FROM subjects WHERE subject_id = ?", (subject_id,))
        .fetchone()
    )
    return None if row is None else bytes(row[0])


def _measures_page(limit: int) -> bytes:
    rows = (
        _connection()
        .execute("SELECT body FROM measures ORDER BY measure_id LIMIT ?", (limit,))
        .fetchall()
    )
    return b'{"items":[' + b",".join(bytes(row[0]) for row in rows) + b'],"next_cursor":null}'


@functools.cache
def _pg_pool() -> Any:
    """Connections opened before the load, as the ledger's pool holds them."""
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(FLOOR_PG, min_size=8, max_size=16, kwargs={"autocommit": True})
    pool.wait()
    return pool


def _named_page(subject_id: str) -> bytes:
    with _pg_pool().connection() as connection:
        row = connection.execute(
            "SELECT document FROM profile_segments WHERE subject_id = %s AND rec_to IS NULL "
            "AND eff_to IS NULL",
            (subject_id,),
        ).fetchone()
    items = [] if row is None else [row[0].encode()]
    return b'{"items":[' + b",".join(items) + b'],"next_cursor":null}'


def _allowed(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    digest = hashlib.sha256(token.encode()).hexdigest()
    return scheme.lower() == "bearer" and digest == TOKEN_SHA256


async def _floor_answer(request: Request, in_thread: bool, read: Any, *args: Any) -> Response:
    started = perf_counter()
    if not _allowed(request):
        return Response(status_code=401)
    if in_thread:
        body = await asyncio.get_running_loop().run_in_executor(_threads, read, *args)
    else:
        body = read(*args)
    status = 404 if body is None else 200
    access.info(
        "request",
        method=request.method,
        path=request.url.path,
        status=status,
        ms=round((perf_counter() - started) * 1000, 1),
    )
    return Response(body, status_code=status, media_type="application/json")


@app.get("/floor/v1/subjects/{subject_id}")
async def floor_subject(subject_id: str, request: Request) -> Response:
    return await _floor_answer(request, False, _subject_document, subject_id)


@app.get("/floor/v1/measures")
async def floor_measures(request: Request, limit: int = 100) -> Response:
    return await _floor_answer(request, True, _measures_page, limit)


@app.get("/floor/v1/names/{subject_id}")
async def floor_names(subject_id: str, request: Request) -> Response:
    # The name in the query is the one the ledger was asked for; the index found the id.
    return await _floor_answer(request, True, _named_page, subject_id)


def main() -> None:
    if FLOOR_PG:
        _pg_pool()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.WriteLoggerFactory(),
        cache_logger_on_first_use=True,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        loop="auto",
        http=_ledger_protocol(),
    )


def _ledger_protocol() -> str:
    """The HTTP protocol ``ledger serve`` runs, where the ledger on the path has one of its
    own (an older checkout compared with ``--project`` may not): the floor then gains what
    the ledger gains."""
    try:
        from api.http_protocol import UVICORN_HTTP
    except ImportError:
        return "auto"
    return UVICORN_HTTP


if __name__ == "__main__":
    main()
