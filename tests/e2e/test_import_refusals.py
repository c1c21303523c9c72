"""A hostile or broken list file, imported with the real ``ledger import`` command, is refused
in one line on stderr with exit status 2, no traceback, and nothing recorded.

Each case runs the command once on a fresh SQLite file. Starting it takes a second or two, so
only representative cases run here; the many shapes of each fault are tested against the
parsers and, in process, against the command (``tests/unit/importers``).
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from application.bootstrap import bootstrap
from application.settings import Settings
from tests.support.server import ledger_command
from tests.unit.importers.test_un_xml import document

RANDOM_BYTES = random.Random(6).randbytes(4096)
RI_WON_HO = (
    document()
    .replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY ri "RI">]>',
    )
    .replace(b"<FIRST_NAME>ABDULPATTA </FIRST_NAME>", b"<FIRST_NAME>&ri; WON HO</FIRST_NAME>")
)


def log_position(database: str) -> int:
    """How many events the ledger at ``database`` holds (0: none)."""
    services = bootstrap(Settings(database_url=database))
    try:
        return services.ledger.last_position()
    finally:
        services.close()


def assert_refused_in_one_line(result: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    for part in parts:
        assert part in result.stderr


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            RI_WON_HO,
            "un.xml, line 2: a DOCTYPE precedes the root element; DTDs and entities are refused",
            id="doctype-entity",
        ),
        pytest.param(RANDOM_BYTES, "un.xml, line 1: invalid XML", id="random-bytes"),
        pytest.param(
            document().replace(b"ESCALON", "ESC\u0085ALON".encode()),
            "un.xml, line 4: SECOND_NAME holds the control character U+0085",
            id="control-character",
        ),
        pytest.param(
            document().replace(b"2018-06-18", b"0001-01-01"),
            "un.xml: effective date 0001-01-01T00:00:00+00:00 is before 1945",
            id="listed-on-year-1",
        ),
    ],
)
def test_a_refused_un_list_records_nothing(tmp_path: Path, data: bytes, expected: str) -> None:
    database = f"sqlite:///{tmp_path}/x.db"
    xml = tmp_path / "un.xml"
    xml.write_bytes(data)

    result = ledger_command("import", "un-sc", str(xml), "--database", database)

    assert_refused_in_one_line(result, expected, "nothing")
    assert log_position(database) == 0


def test_a_refused_list_after_a_good_one_leaves_the_log_as_it_was(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/x.db"
    good, hostile = tmp_path / "good.xml", tmp_path / "hostile.xml"
    good.write_bytes(document())
    hostile.write_bytes(RI_WON_HO.replace(b"2018-06-07T19", b"2018-06-08T19"))
    imported = ledger_command("import", "un-sc", str(good), "--database", database)
    assert imported.returncode == 0, imported.stderr
    before = log_position(database)

    result = ledger_command("import", "un-sc", str(hostile), "--database", database)

    assert_refused_in_one_line(result, "hostile.xml, line 2: a DOCTYPE")
    assert before > 0
    assert log_position(database) == before


def test_an_observed_time_beyond_the_calendar_is_refused(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/x.db"
    sdn = tmp_path / "sdn.csv"
    sdn.write_bytes(RANDOM_BYTES)
    observed_at = "9999-12-31T23:59:59-01:00"

    result = ledger_command(
        "import", "ofac-sdn", str(sdn), "--observed-at", observed_at, "--database", database
    )

    assert_refused_in_one_line(result, f"--observed-at {observed_at!r} lies outside the calendar")
    assert log_position(database) == 0
