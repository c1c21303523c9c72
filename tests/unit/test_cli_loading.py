"""The ``ledger`` command loads what a command needs when it runs it: its help, and the
refusal of a mistyped option, come without the app, the stores or the importers."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("fastapi", "uvicorn", "application.bootstrap", "application.importers.importer")
HELP = f"""
import sys
from typer.testing import CliRunner
from api.cli import app
for args in (["--help"], ["import", "--help"], ["keys", "create", "--role", "nobody"]):
    CliRunner().invoke(app, args)
print(sorted(name for name in {HEAVY!r} if name in sys.modules))
"""


def test_help_and_a_refused_option_load_nothing_heavy() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HELP], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_command_loads_what_it_runs() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            HELP.replace('"--help"], ["import"', '"demo", "--database", "memory://"], ["import"'),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "application.bootstrap" in done.stdout.strip().splitlines()[-1]
