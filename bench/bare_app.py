"""The floor the HTTP read benchmarks compare the ledger with: FastAPI and uvicorn doing nothing.

Async endpoints that answer with dicts shaped like the ledger's own answers (a subject
document of one designation; a page of 100 measures), built afresh for every request, served
by uvicorn with the settings ``ledger serve`` uses (uvloop and httptools when installed, no
uvicorn access log). No database, no key, no logging: what is left is the cost of the
framework and the server, which the ledger cannot go below.

Run: ``.venv/bin/python bench/bare_app.py --port 8001``.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

import uvicorn
from fastapi import FastAPI

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        loop="auto",
        http="auto",
    )


if __name__ == "__main__":
    main()
