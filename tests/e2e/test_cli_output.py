"""What the ``ledger`` command prints when its output goes to a pipe, as under ``make``.

A pipe has no width, so nothing may be cut at 80 columns: a hint's command must stay on one
line, ready to copy. And the hint must name the command as the user can run it again: the
path it was started by, where no ``ledger`` on PATH is this program. ``ledger serve`` ends
cleanly on a stop signal, so that ``make run`` stopped with Ctrl-C reports no error.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.support.server import LEDGER, free_port, ledger_command

# No directory of PATH holds this checkout's ``ledger``: only its path names it.
WITHOUT_LEDGER_ON_PATH = {"PATH": "/usr/bin:/bin", "COLUMNS": "", "TERMINAL_WIDTH": ""}


def long_database(tmp_path: Path) -> str:
    folder = tmp_path / ("a-folder-with-a-rather-long-name-" * 4)
    folder.mkdir()
    return f"sqlite:///{folder}/ledger.db"


def test_a_hint_names_the_command_as_invoked_on_one_line_when_piped(tmp_path: Path) -> None:
    database = long_database(tmp_path)
    make_run = ("keys", "create", "--role", "admin", "--name", "make run", "--if-none")
    first = ledger_command(*make_run, "--database", database, env=WITHOUT_LEDGER_ON_PATH)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().startswith("sl_")
    second = ledger_command(*make_run, "--database", database, env=WITHOUT_LEDGER_ON_PATH)
    assert second.returncode == 0, second.stderr

    [hint] = [line for line in second.stderr.splitlines() if "already" in line]
    command = hint.split("Make another with: ", 1)[1]
    assert command == f"{LEDGER} keys create --role admin --name NAME"
    created = [line for line in first.stderr.splitlines() if line.startswith("Created the")]
    assert len(created) == 1 and created[0].endswith("'Authorization: Bearer <token>':"), (
        "a message longer than 80 characters stays on one line"
    )


def test_a_usage_error_names_the_command_as_invoked_without_a_box_when_piped() -> None:
    answer = ledger_command("keys", "create", "--name", "x", env=WITHOUT_LEDGER_ON_PATH)
    assert answer.returncode == 2
    assert f"Try '{LEDGER} keys create --help' for help." in answer.stderr.splitlines()
    assert "Missing option '--role'" in answer.stderr
    assert "╭" not in answer.stderr and "│" not in answer.stderr


def test_serve_ends_with_status_0_and_no_traceback_on_sigterm(tmp_path: Path) -> None:
    """SIGTERM, as ``kill`` sends; the server of ``test_logs_keep_secrets`` is stopped with
    SIGINT, as Ctrl-C sends, and checked the same way."""
    port = free_port()
    process = subprocess.Popen(
        [LEDGER, "serve", "--database", f"sqlite:///{tmp_path}/ledger.db", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "LEDGER_LOG_FORMAT": "console"},
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while b"Application startup complete" not in process.stdout.readline():
            assert process.poll() is None and time.monotonic() < deadline
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert time.monotonic() - started < 10
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    assert "Finished server process" in output


def test_serve_refuses_a_database_it_cannot_serve_in_one_line_before_starting() -> None:
    unknown = ledger_command("serve", "--database", "mysql://ledger@localhost/ledger")
    assert unknown.returncode == 2
    assert "Refused: unsupported database URL 'mysql://ledger@localhost/ledger'" in unknown.stderr
    assert "Traceback" not in unknown.stdout + unknown.stderr
    several = ledger_command("serve", "--database", "memory://", "--workers", "2")
    assert several.returncode == 2
    assert "Refused: --workers 2 needs PostgreSQL" in several.stderr
