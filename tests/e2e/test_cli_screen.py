"""``ledger screen`` as a user runs it: a file of names in, JSON Lines out, a receipt kept.

The real command, in a process of its own, on a SQLite ledger holding the founding example.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from application.demo.founding_example import demo_subject_id
from tests.support.server import ledger_command

SOIN_ID = str(demo_subject_id("ofac-34021"))
ASKED = "Dmitry Yurevich Soin"


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/ledger.db"
    loaded = ledger_command("demo", "--database", url)
    assert loaded.returncode == 0, loaded.stderr
    return url


def receipts(database: str) -> list[tuple[str, str | None]]:
    with sqlite3.connect(database.removeprefix("sqlite:///")) as connection:
        rows = connection.execute("SELECT screening_id, requested_by FROM ledger_screenings")
        return [(row[0], row[1]) for row in rows]


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_a_csv_file_is_screened_to_stdout_and_kept(tmp_path: Path, database: str) -> None:
    names = tmp_path / "names.csv"
    names.write_text(f"name,birth_date\n{ASKED},1969-08-07\nNobody At All Here,\n")
    screened = ledger_command("screen", str(names), "--as-of", "2021-12-11", "--database", database)
    assert screened.returncode == 0, screened.stderr
    header, first, second = lines(screened.stdout)
    assert header["read_point"]["as_of"].startswith("2021-12-11")
    assert first["hits"][0]["subject_id"] == SOIN_ID
    assert first["hits"][0]["features"]["birth_date"] == 1
    assert second["hits"] == []
    assert f"receipt {header['screening_id']}" in screened.stderr
    assert receipts(database) == [(header["screening_id"], "cli")]


def test_a_json_lines_file_is_screened_to_a_file_at_a_past_point(
    tmp_path: Path, database: str
) -> None:
    names = tmp_path / "names.jsonl"
    names.write_text(json.dumps({"name": ASKED, "kind": "person"}) + "\n")
    output = tmp_path / "out.jsonl"
    before = ledger_command(
        "screen", str(names), "--as-of", "2021-12-09", "--output", str(output),
        "--threshold", "0.5", "--limit", "3", "--database", database,
    )  # fmt: skip
    assert before.returncode == 0, before.stderr
    assert before.stdout == ""
    header, result = lines(output.read_text())
    assert (header["threshold"], header["limit"]) == (0.5, 3)
    assert result["hits"] == []
    unrecorded = ledger_command(
        "screen", str(names), "--known-at", "position:0", "--database", database
    )
    assert unrecorded.returncode == 0, unrecorded.stderr
    assert lines(unrecorded.stdout)[1]["hits"] == []
    assert len(receipts(database)) == 2


def test_a_bad_file_is_refused_whole_and_nothing_kept(tmp_path: Path, database: str) -> None:
    names = tmp_path / "names.csv"
    names.write_text(f'name\n{ASKED}\n"Soin" x\n')
    refused = ledger_command("screen", str(names), "--database", database)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert "Refused" in refused.stderr and "line 3" in refused.stderr
    other = tmp_path / "names.txt"
    other.write_text("name\nSoin\n")
    wrong_kind = ledger_command("screen", str(other), "--database", database)
    assert wrong_kind.returncode == 2
    assert "neither .csv nor .jsonl" in wrong_kind.stderr
    bad_moment = ledger_command(
        "screen", str(names), "--as-of", "yesterday", "--database", database
    )
    assert bad_moment.returncode == 2
    assert receipts(database) == []
