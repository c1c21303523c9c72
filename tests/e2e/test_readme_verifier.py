"""The verifier in the README, run as an auditor would: against a served ledger, with none of
the project's code, and failing when the log was changed behind the ledger's back."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support.server import ledger_command, serving

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- verifier"


def readme_verifier() -> str:
    text = README.read_text()
    after = text[text.index(MARKER) :]
    found = re.search(r"```python\n(.*?)```", after, re.DOTALL)
    assert found is not None, "the README's verifier block"
    return found.group(1)


def run_verifier(
    script: Path, base: str, token: str, event_id: str
) -> subprocess.CompletedProcess[str]:
    # Run from the script's own folder with isolated mode: the project's packages cannot be
    # imported, only the standard library and the installed cryptography.
    return subprocess.run(
        [sys.executable, "-I", str(script), base, token, event_id],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=script.parent,
        check=False,
    )


def test_the_readme_verifier_checks_an_event_and_fails_on_a_changed_one(tmp_path: Path) -> None:
    script = tmp_path / "verify.py"
    script.write_text(readme_verifier())
    assert len(script.read_text().splitlines()) <= 60
    database = f"sqlite:///{tmp_path}/ledger.db"
    assert ledger_command("demo", "--database", database).returncode == 0
    created = ledger_command(
        "keys", "create", "--role", "auditor", "--name", "auditor", "--database", database
    )
    token = created.stdout.strip().split()[-1]
    connection = sqlite3.connect(tmp_path / "ledger.db")
    subject, version = connection.execute(
        "SELECT originator_id, originator_version FROM stored_events WHERE rowid = 40"
    ).fetchone()
    event_id = (
        f"{subject[:8]}-{subject[8:12]}-{subject[12:16]}-{subject[16:20]}-{subject[20:]}@{version}"
    )
    with serving(database, env={"LEDGER_LOG_LEVEL": "error"}) as base:
        verified = run_verifier(script, base, token, event_id)
        assert verified.returncode == 0, verified.stderr
        assert verified.stdout.startswith(f"verified: {event_id} is leaf 39 of ")
        with connection:
            connection.execute(
                "UPDATE stored_events SET state = CAST(REPLACE(CAST(state AS TEXT), "
                "'Recent Actions 20211210', 'Recent Actions 20211211') AS BLOB) WHERE rowid = 40"
            )
        refused = run_verifier(script, base, token, event_id)
    assert refused.returncode != 0
    assert "the event is not in the signed tree" in refused.stderr
