"""PostgreSQL databases and servers a test may break: a brand-new database on the shared
server, or a whole server of the test's own that it can restart and crash.

A private server is a cluster made with ``initdb`` in a temporary directory and started with
``pg_ctl`` on a free port, listening on 127.0.0.1 only; it is stopped and removed when the
test ends. PostgreSQL refuses to run as root, so a root test runs it as the ``postgres``
user of the machine (as a CI container does).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tests.support.server import free_port

SERVER_USER = "postgres"


@contextmanager
def empty_database(admin_url: str) -> Iterator[str]:
    """The URL of a database created for the block, on the server ``admin_url`` names, and
    dropped after it."""
    name = f"ledger_empty_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_binaries() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are: Debian's versioned directory (the newest), the
    ``PATH``, or what ``pg_config`` says."""
    versioned = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4])
    )
    if versioned:
        return Path(versioned[-1]).parent
    if found := shutil.which("initdb"):
        return Path(found).parent
    if pg_config := shutil.which("pg_config"):
        bindir = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if bindir and (Path(bindir) / "initdb").exists():
            return Path(bindir)
    return None


class PrivateServer:
    """A PostgreSQL server of one test's own, which it may restart or crash at will."""

    def __init__(self, binaries: Path, directory: Path) -> None:
        self.binaries = binaries
        self.data = directory / "data"
        self.log = directory / "server.log"
        self.port = free_port()
        self.url = self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        """Create a database on the server; its URL."""
        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        # Sockets in the cluster's own directory: /var/run/postgresql belongs to the shared
        # server. fsync is off since a crash here kills the server, never the machine.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.data} -c fsync=off"
        )
        self._pg_ctl("start", "-o", options)

    def restart(self, mode: str) -> None:
        """Stop the server, ``fast`` (sessions are ended cleanly) or ``immediate`` (a crash:
        recovery from the write-ahead log on the way back), and start it again."""
        self._pg_ctl("restart", "-m", mode)

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "immediate")

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", *args)

    def _run(self, program: str, *args: str) -> None:
        as_server_user = ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []
        done = subprocess.run(
            [*as_server_user, str(self.binaries / program), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{program} {args[-1]} failed:\n{done.stdout}{done.stderr}{log}")


@contextmanager
def private_server() -> Iterator[PrivateServer]:
    """A running server of the test's own; skips the test where PostgreSQL's server
    programs are not installed."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    directory = Path(tempfile.mkdtemp(prefix="ledger-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(directory, account.pw_uid, account.pw_gid)
    server = PrivateServer(binaries, directory)
    try:
        server.init()
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
