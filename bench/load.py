"""Loading a server with wrk: requests in turn from a Lua script, and wrk's figures parsed.

wrk (``/usr/bin/wrk``) keeps 8 or more connections busy from C, so that the client costs the
2-core machine little next to the server it measures; ``--latency`` gives the percentiles.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx2 as httpx

WRK = "/usr/bin/wrk"


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    failed: int
    """Answers that were not 2xx or 3xx, plus socket errors."""


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse_wrk(output: str) -> WrkResult:
    percentiles = {
        int(p): _ms(value) for p, value in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.M)
    }
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if rate is None or total is None or not percentiles:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failed = int(non_2xx[1]) if non_2xx else 0
    if errors:
        failed += sum(int(n) for n in errors.groups())
    return WrkResult(
        requests_per_second=float(rate[1]),
        p50_ms=percentiles[50],
        p75_ms=percentiles[75],
        p90_ms=percentiles[90],
        p99_ms=percentiles[99],
        requests=int(total[1]),
        failed=failed,
    )


LUA_REQUESTS = """
-- Sends the requests in turn, each thread from its own place in the list; a request's own
-- headers are added to those given with -H (wrk.format would otherwise drop those).
local requests = {%s}
local formatted = {}
local i = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  for n, r in ipairs(requests) do
    local h = {}
    for k, v in pairs(wrk.headers) do h[k] = v end
    for k, v in pairs(r[3]) do h[k] = v end
    formatted[n] = wrk.format(r[1], r[2], h, r[4])
  end
  i = (id * 7919) %% #formatted
end
function request()
  i = i %% #formatted + 1
  return formatted[i]
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string for what is sent here


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


def lua_script(requests: Sequence[Request]) -> str:
    entries = []
    for request in requests:
        headers = ", ".join(
            f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in request.headers.items()
        )
        body = "nil" if request.body is None else _lua_string(request.body)
        entries.append(
            f"{{{_lua_string(request.method)}, {_lua_string(request.path)}, {{{headers}}}, {body}}}"
        )
    return LUA_REQUESTS % ",\n".join(entries)


def wrk(
    base: str,
    requests: Sequence[Request],
    *,
    connections: int = 8,
    threads: int = 2,
    seconds: float = 10,
    headers: dict[str, str] | None = None,
) -> WrkResult:
    """Load ``base`` with wrk, sending ``requests`` in turn over ``connections``."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(requests))
    try:
        argv = [
            WRK,
            f"-t{min(threads, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            script.name,
        ]
        for name, value in (headers or {}).items():
            argv += ["-H", f"{name}: {value}"]
        done = subprocess.run(
            [*argv, base], capture_output=True, text=True, check=False, timeout=seconds + 60
        )
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed:\n{done.stdout}\n{done.stderr}")
        return parse_wrk(done.stdout)
    finally:
        os.unlink(script.name)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def check_answers(base: str, requests: Sequence[Request], headers: dict[str, str]) -> None:
    """Send each request once and fail unless it succeeds: wrk counts failures but a bench
    of 404s or 429s would measure nothing."""
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for request in requests:
            answer = client.request(
                request.method, request.path, headers=request.headers, content=request.body
            )
            if answer.status_code >= 300:
                raise RuntimeError(
                    f"{request.method} {request.path} answered {answer.status_code}: "
                    f"{answer.text[:500]}"
                )
