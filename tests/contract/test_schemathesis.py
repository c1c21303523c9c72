"""schemathesis over the served API: every phase and every check, with an admin key.

The same command as in the README's development section, with fewer examples so that the
test suite stays quick; ``SCHEMATHESIS_EXAMPLES`` raises the count for a deeper run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import ledger_command, serving

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "10")


@pytest.mark.slow
def test_schemathesis_finds_no_failure_and_no_server_error(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/ledger.db"
    assert ledger_command("demo", "--database", database).returncode == 0
    created = ledger_command(
        "keys", "create", "--role", "admin", "--name", "schemathesis", "--database", database
    )
    token = created.stdout.strip().splitlines()[-1]
    # Quiet, since nobody reads the server's output while it runs: a full pipe would stall it.
    with serving(database, env={"LEDGER_LOG_LEVEL": "error"}) as base:
        run = subprocess.run(
            [
                SCHEMATHESIS,
                "--config-file",
                "tests/contract/schemathesis.toml",
                "run",
                f"{base}/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "all",
                "--max-examples",
                EXAMPLES,
                "--seed",
                "20211210",
                "--no-color",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    summary = run.stdout[run.stdout.find("SUMMARY") :]
    assert run.returncode == 0, run.stdout[-6000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, summary
    assert "Server error" not in run.stdout
