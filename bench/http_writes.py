"""What HTTP adds to a write: register + designate over HTTP against the same commands in process.

Both sides record the same thing, over and over for ``--seconds``: a subject (two names, a
date of birth, a nationality, an OFAC reference of its own) and then its designation, the
second write naming the subject the first created.

- HTTP: a real ``ledger serve`` (one process, a SQLite file of its own unless ``--database``),
  driven by 1, 8 and 32 concurrent connections of wrk (a Lua script alternating the two
  writes, with an operator's key): a load generator in C, so that the client's own work does
  not take the 2 cores from the server the way a Python client would.
- In process: ``bootstrap(Settings(...)).ledger.execute`` from 1, 8 and 32 threads, on a SQLite
  file of its own, keeping the views as the server does (inline projections).

The commands are the API's own (``SubjectIn``/``DesignationIn.to_command``), so both sides
record identical events. Prints pairs per second on each side and the ratio HTTP / in process
(the goal: at least 0.6).

Run: ``.venv/bin/python bench/http_writes.py [--clients 1,8,32] [--project /work/baseline]``.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import re
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import common
import load

SOURCE = {"authority": "US-OFAC", "reference": "SDN list 2021-12-10", "published_on": "2021-12-10"}


def next_reference() -> str:
    """A reference no subject holds yet: a write that reused one would be refused (409)."""
    return str(common.unique_number())


def subject_body(reference: str) -> dict[str, Any]:
    return {
        "kind": "person",
        "profile": {
            "names": [
                {"value": f"PETROV, Ivan {reference}"},
                {"value": f"PETROFF, Ivan {reference}", "type": "aka"},
            ],
            "birth_dates": ["1969-08-07"],
            "nationalities": ["Russia"],
        },
        "references": [{"authority": "US-OFAC", "id": reference}],
        "effective_at": "2021-12-10",
        "source": SOURCE,
    }


DESIGNATION = {
    "authority": "US-OFAC",
    "programs": ["DPRK3"],
    "legal_basis": "E.O. 13722",
    "effective_from": "2021-12-10",
    "source": SOURCE,
}


# Over HTTP ------------------------------------------------------------------------------


PAIRS_SCRIPT = """
-- Register a subject, then designate it, over and over; each wrk thread keeps the subjects it
-- registered and not yet designated, so the two writes alternate as they would for a client.
local threads = {}
local body_template = %(subject)s
local designation = %(designation)s
local headers = {["Content-Type"] = "application/json", ["Authorization"] = %(authorization)s}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1] .. wrk.thread:get("id")
  counter, designated, failed, pending = 0, 0, 0, {}
end

function request()
  local subject = table.remove(pending)
  if subject then
    return wrk.format("POST", "/v1/subjects/" .. subject .. "/designations", headers, designation)
  end
  counter = counter + 1
  local reference = prefix .. string.format("%%06d", counter)
  return wrk.format("POST", "/v1/subjects", headers, body_template:gsub("REFERENCE", reference))
end

function response(status, headers, body)
  if status ~= 201 then
    failed = failed + 1
  elseif body:find('"measure_ids":[]', 1, true) then
    table.insert(pending, body:match('"subject_ids":%%["([0-9a-f-]+)"'))
  else
    designated = designated + 1
  end
end

function done(summary, latency, requests)
  local pairs, failures = 0, 0
  for _, thread in ipairs(threads) do
    pairs = pairs + thread:get("designated")
    failures = failures + thread:get("failed")
  end
  io.write(string.format("PAIRS %%d FAILED %%d SECONDS %%f\\n", pairs, failures,
    summary.duration / 1e6))
end
"""


def over_http(base: str, token: str, clients: int, seconds: float) -> float:
    """Pairs per second from wrk (a C load generator, so the client's own cost stays out of
    the 2 cores the server shares with it), ``clients`` connections on one thread."""
    script = PAIRS_SCRIPT % {
        "subject": json.dumps(json.dumps(subject_body("REFERENCE"))),
        "designation": json.dumps(json.dumps(DESIGNATION)),
        "authorization": json.dumps(f"Bearer {token}"),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        argv = [load.WRK, "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s"]
        done = subprocess.run(
            [*argv, "-s", file.name, base, "--", next_reference()],
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds + 90,
        )
    finally:
        os.unlink(file.name)
    found = re.search(r"PAIRS (\d+) FAILED (\d+) SECONDS ([\d.]+)", done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    pairs, failed, duration = int(found[1]), int(found[2]), float(found[3])
    if failed:
        raise RuntimeError(f"{failed} writes were refused over HTTP:\n{done.stdout}")
    return pairs / duration


# In process -----------------------------------------------------------------------------


class InProcess:
    """The application on a SQLite file of its own, keeping its views as ``ledger serve``
    does, and the API's commands built once from the same request bodies."""

    def __init__(self, database: str) -> None:
        from api.schemas.measures import DesignationIn
        from api.schemas.subjects import SubjectIn
        from application.bootstrap import bootstrap
        from application.settings import Settings
        from domain.values import Actor

        self.services = bootstrap(Settings(database_url=database))
        self.services.start()
        self.actor = Actor("bench", "write benchmark")
        self.register = SubjectIn.model_validate(subject_body("0")).to_command()
        self.designate = DesignationIn.model_validate(DESIGNATION).to_command("0")

    def pairs_per_second(self, threads: int, seconds: float) -> float:
        from domain.values import Authority, Name, Reference

        ledger = self.services.ledger
        pairs = itertools.count()

        def pair() -> None:
            reference = next_reference()
            names = (
                Name(f"PETROV, Ivan {reference}"),
                Name(f"PETROFF, Ivan {reference}", self.register.profile.names[1].type),
            )
            command = replace(
                self.register,
                profile=replace(self.register.profile, names=names),
                references=(Reference(Authority.US_OFAC, reference),),
            )
            receipt = ledger.execute(command, self.actor)
            ledger.execute(replace(self.designate, subject=receipt.subject_ids[0]), self.actor)
            next(pairs)  # one step of a C iterator: atomic under the GIL

        elapsed = common.threaded(threads, seconds, pair)
        return next(pairs) / elapsed

    def close(self) -> None:
        self.services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.common_arguments(parser)
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients, comma-separated")
    parser.add_argument("--seconds", type=float, default=10, help="duration of each run")
    parser.add_argument("--database", help="the HTTP side's store (default: a new SQLite file)")
    args = parser.parse_args()
    common.use_project(args.project)
    counts = [int(n) for n in args.clients.split(",")]

    with tempfile.TemporaryDirectory(prefix="bench-writes-") as folder:
        database = args.database or f"sqlite:///{Path(folder) / 'http.db'}"
        common.ledger("demo", "--database", database)
        token = common.create_key(database, "operator")
        in_process = InProcess(f"sqlite:///{Path(folder) / 'in-process.db'}")
        load_before = common.load_average()
        try:
            with common.serve_ledger(database) as server:
                sides: dict[str, Any] = {}
                for n in counts:
                    sides[f"{n}|http"] = common.logged(
                        f"HTTP, {n} clients",
                        functools.partial(over_http, server.base, token, n, args.seconds),
                        "pairs/s",
                        digits=1,
                    )
                    sides[f"{n}|in process"] = common.logged(
                        f"in process, {n} threads",
                        functools.partial(in_process.pairs_per_second, n, args.seconds),
                        "pairs/s",
                        digits=1,
                    )
                results = common.interleaved(args.repeats, sides)
        finally:
            in_process.close()

    report = common.Report(
        f"register + designate, HTTP against in process (SQLite), median of {args.repeats}",
        common.project_label(args.project),
        ["clients", "HTTP pairs/s", "in process pairs/s", "ratio"],
        load_average_before=load_before,
    )
    for n in counts:
        http = common.median(results[f"{n}|http"])
        local = common.median(results[f"{n}|in process"])
        report.add(n, http, local, f"{http / local:.2f}")
    report.note("a pair is two writes: POST /v1/subjects, then POST /v1/subjects/{id}/designations")
    report.show(args.json)


if __name__ == "__main__":
    main()
