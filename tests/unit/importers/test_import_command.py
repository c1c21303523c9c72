"""``ledger import`` refuses a broken file or value in one line, exit status 2, no traceback,
nothing recorded: every command, run in process for speed (``tests/e2e`` runs the real one)."""

from __future__ import annotations

import gc
import io
import lzma
import random
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli_import import app
from application.bootstrap import bootstrap
from application.collector import NEVER
from application.importers.importer import Importer
from application.settings import Settings
from tests.unit.importers.test_un_xml import document

RANDOM_BYTES = random.Random(6).randbytes(4096)


def assert_refused(tmp_path: Path, *args: str, starting: str) -> None:
    """Run ``ledger import *args`` on a fresh ledger and check how it refuses.

    Status 2, no exception escaped, one line on stderr that starts with ``starting`` and says
    nothing was recorded, and indeed no event in the ledger.
    """
    database = f"sqlite:///{tmp_path}/x.db"
    result = CliRunner().invoke(app, [*args, "--database", database])

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(starting)
    assert "nothing" in line or line.startswith("--observed-at")
    services = bootstrap(Settings(database_url=database))
    try:
        assert services.ledger.last_position() == 0
    finally:
        services.close()


def written(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"", "un.xml, line 1: the file is empty", id="empty"),
        pytest.param(
            RANDOM_BYTES,
            "un.xml, line 1: invalid XML: Start tag expected, '<' not found",
            id="random-bytes",
        ),
        pytest.param(
            document()[:-300],
            "un.xml, line 46: invalid XML: expected '>'",
            id="truncated",
        ),
        pytest.param(
            document().replace(b"CONSOLIDATED_LIST", b"LIST"),
            "un.xml, line 1: the root element is not CONSOLIDATED_LIST",
            id="wrong-root",
        ),
        pytest.param(
            document().replace(b"UTF-8", b"ISO-8859-1"),
            "un.xml, line 1: the file is declared in ISO-8859-1; the UN list is published in UTF-8",
            id="declared-latin-1",
        ),
        pytest.param(
            document().replace(b"UTF-8", b"KLINGON"),
            "un.xml, line 1: invalid XML: Unsupported encoding: KLINGON",
            id="unknown-encoding",
        ),
        pytest.param(
            document(root=""), "un.xml, line 1: dateGenerated is missing", id="no-date-generated"
        ),
        pytest.param(
            document(root='dateGenerated="2018-06-07T19:03:43"'),
            "un.xml, line 1: dateGenerated '2018-06-07T19:03:43' has no time zone",
            id="zone-less-date-generated",
        ),
        pytest.param(
            document(root='dateGenerated="June"'),
            "un.xml, line 1: dateGenerated 'June' is not an ISO 8601 date and time",
            id="unparseable-date-generated",
        ),
        pytest.param(
            document(root='dateGenerated="9999-12-31T23:59:59-01:00"'),
            "un.xml, line 1: dateGenerated '9999-12-31T23:59:59-01:00' lies outside the "
            "calendar in UTC",
            id="date-generated-after-9999",
        ),
        pytest.param(
            document(root='dateGenerated="0001-01-01T00:00:00+01:00"'),
            "un.xml, line 1: dateGenerated '0001-01-01T00:00:00+01:00' lies outside the "
            "calendar in UTC",
            id="date-generated-before-year-1",
        ),
        pytest.param(
            document().replace(b"2018-06-18", b"9999-12-31"),
            "un.xml: effective date 9999-12-31T00:00:00+00:00 is more than a year ahead",
            id="listed-on-9999",
        ),
        pytest.param(
            document().replace(b"ESCALON", b"ESC&#x1FFFF;ALON"),
            "un.xml, line 4: SECOND_NAME holds the non-character U+1FFFF; it is not text",
            id="non-character",
        ),
        pytest.param(
            document().replace(b"QDe.001", "[/red]\u009b31m".encode()),
            "un.xml, line 45: REFERENCE_NUMBER holds the control character U+009B; it is not text",
            id="markup-and-escape-codes",
        ),
    ],
)
def test_a_broken_un_list_is_refused_in_one_line(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    xml = written(tmp_path, "un.xml", data)

    assert_refused(tmp_path, "un-sc", str(xml), starting=expected)


SDN_ROW = b'1,"DOE, John",individual,"SDGT",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\r\n\x1a'


@pytest.mark.parametrize(
    ("data", "options", "expected"),
    [
        pytest.param(
            RANDOM_BYTES,
            ("--observed-at", "2024-05-03T18:43:23Z"),
            "sdn.csv, line 1: ",
            id="random-bytes",
        ),
        pytest.param(
            b"",
            ("--observed-at", "2024-05-03T18:43:23Z"),
            "sdn.csv, line 1: the file ends without the end-of-file marker 0x1A",
            id="empty",
        ),
        pytest.param(
            SDN_ROW,
            (),
            "--observed-at is missing: when was the publication observed?",
            id="no-observed-at",
        ),
        pytest.param(
            SDN_ROW,
            ("--observed-at", "yesterday"),
            "--observed-at 'yesterday' is not an ISO timestamp",
            id="observed-at-no-time",
        ),
        pytest.param(
            SDN_ROW,
            ("--observed-at", "9999-12-31T23:59:59-01:00"),
            "--observed-at '9999-12-31T23:59:59-01:00' lies outside the calendar in UTC",
            id="observed-at-after-9999",
        ),
        pytest.param(
            SDN_ROW,
            ("--observed-at", "0001-01-01T00:00:00+01:00"),
            "--observed-at '0001-01-01T00:00:00+01:00' lies outside the calendar in UTC",
            id="observed-at-before-year-1",
        ),
        pytest.param(
            SDN_ROW,
            ("--observed-at", "9999-12-31T23:59:59"),
            "sdn.csv: effective_at 9999-12-31T23:59:59+00:00 is more than a year ahead",
            id="observed-at-year-9999",
        ),
    ],
)
def test_a_broken_ofac_file_or_observed_time_is_refused_in_one_line(
    tmp_path: Path, data: bytes, options: tuple[str, ...], expected: str
) -> None:
    sdn = written(tmp_path, "sdn.csv", data)

    assert_refused(tmp_path, "ofac-sdn", str(sdn), *options, starting=expected)


def truncated_archive(folder: Path) -> Path:
    """A .tar.xz of one dated copy, cut in the middle of its compressed stream."""
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:xz") as archive:
        member = tarfile.TarInfo("sdn/sdn_2024-05-03T184323Z.csv")
        member.size = 100_000
        archive.addfile(member, io.BytesIO(random.Random(7).randbytes(member.size)))
    data = packed.getvalue()
    assert lzma.decompress(data)  # whole, it is a valid archive
    return written(folder, "history.tar.xz", data[: len(data) // 2])


def folder_with(folder: Path, name: str, data: bytes) -> Path:
    copies = folder / "copies"
    copies.mkdir()
    written(copies, name, data)
    return copies


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        pytest.param(
            lambda folder: written(folder, "history.tar.xz", RANDOM_BYTES),
            "history.tar.xz: not a readable .tar.xz archive (file could not be opened "
            "successfully); nothing was recorded",
            id="random-bytes",
        ),
        pytest.param(
            lambda folder: written(folder, "history.tar.xz", b""),
            "history.tar.xz: not a readable .tar.xz archive (file could not be opened "
            "successfully); nothing was recorded",
            id="empty",
        ),
        pytest.param(
            truncated_archive,
            "history.tar.xz: not a readable .tar.xz archive (Compressed file ended before the "
            "end-of-stream marker was reached); nothing was recorded",
            id="truncated",
        ),
        pytest.param(
            lambda folder: folder_with(folder, "sdn_2024-13-45T256199Z.csv", SDN_ROW),
            "sdn_2024-13-45T256199Z.csv: 2024-13-45T256199Z in the file name is not a time; "
            "nothing was recorded",
            id="no-time-in-name",
        ),
        pytest.param(
            lambda folder: folder_with(folder, "sdn_2024-05-03T184323Z.csv", RANDOM_BYTES[:99]),
            "sdn_2024-05-03T184323Z.csv, line 1: ",
            id="random-copy",
        ),
    ],
)
def test_a_broken_history_is_refused_in_one_line(
    tmp_path: Path, location: Callable[[Path], Path], expected: str
) -> None:
    assert_refused(tmp_path, "ofac-sdn-history", str(location(tmp_path)), starting=expected)


def test_an_import_makes_no_full_pass_of_the_collector_while_it_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xml = written(tmp_path, "un.xml", document())
    run, during = Importer.run, []

    def watched(importer: Importer, publication: Any) -> Any:
        during.append(gc.get_threshold()[2])
        return run(importer, publication)

    monkeypatch.setattr(Importer, "run", watched)
    before = gc.get_threshold()
    result = CliRunner().invoke(
        app, ["un-sc", str(xml), "--database", f"sqlite:///{tmp_path}/x.db"]
    )
    assert result.exit_code == 0, result.output
    assert during == [NEVER]
    assert gc.get_threshold() == before
