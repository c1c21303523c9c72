"""Announcement dates on imports: the map of copies to days, and what is refused.

A copy cannot show a change announced after it, and a map naming a copy that is not
imported is refused before anything is recorded (a mistyped key would otherwise be lost).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli_import import app
from application.bootstrap import Services, bootstrap
from application.importers.announcements import (
    announcement_for,
    check_announcements,
    read_announcements,
)
from application.importers.importer import Importer
from application.importers.publications import observed_at_in_name, ofac_sdn
from application.settings import Settings
from application.views.conditions import MeasureFilter
from domain.errors import InvalidValue
from domain.state import SubjectState
from domain.values import Actor, Authority, Reference

OBSERVED = datetime(2022, 2, 26, 1, 42, 52, tzinfo=UTC)
COPY = "sdn_2022-02-26T014252Z.csv"
ROW = '1,"ALPHA, Anna","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '


def copy_in(folder: Path, name: str = COPY) -> Path:
    path = folder / name
    path.write_bytes((ROW + "\r\n\x1a").encode("latin-1"))
    return path


def test_a_copy_is_named_by_file_by_time_or_by_day(tmp_path: Path) -> None:
    csv = tmp_path / "announced.csv"
    csv.write_text("copy,announced_on\n2022-02-26,2022-02-25\n\n")
    by_day = read_announcements(csv)
    assert announcement_for(by_day, COPY, OBSERVED) == date(2022, 2, 25)
    as_json = tmp_path / "announced.json"
    as_json.write_text('{"2022-02-26T014252Z": "2022-02-24", "other.csv": "2022-01-01"}')
    by_time = read_announcements(as_json)
    assert announcement_for(by_time, COPY, OBSERVED) == date(2022, 2, 24)
    later = datetime(2022, 2, 27, 1, 42, 52, tzinfo=UTC)
    assert announcement_for(by_time, "sdn_2022-02-27T014252Z.csv", later) is None


@pytest.mark.parametrize(
    ("content", "refusal"),
    [
        ("copy,day\n", "the header must be copy,announced_on"),
        ("copy,announced_on\nsdn.csv,25/02/2022\n", "is not an ISO date"),
        ("copy,announced_on\nsdn.csv\n", "line 2: two cells expected"),
        ("copy,announced_on\na,2022-01-01\na,2022-01-02\n", "named twice"),
    ],
)
def test_a_malformed_map_is_refused(tmp_path: Path, content: str, refusal: str) -> None:
    path = tmp_path / "announced.csv"
    path.write_text(content)
    with pytest.raises(InvalidValue, match=refusal):
        read_announcements(path)


def test_a_map_naming_no_copy_or_a_later_day_is_refused() -> None:
    copies = [(COPY, OBSERVED)]
    check_announcements({COPY: date(2022, 2, 26)}, copies)  # the copy's own day is fine
    with pytest.raises(InvalidValue, match="not imported here: sdn_2022-02-27"):
        check_announcements({"sdn_2022-02-27T014252Z.csv": date(2022, 2, 25)}, copies)
    with pytest.raises(InvalidValue, match="after the copy itself"):
        check_announcements({"2022-02-26": date(2022, 2, 27)}, copies)


def test_an_announcement_after_the_copy_is_refused(tmp_path: Path) -> None:
    path = copy_in(tmp_path)
    publication = ofac_sdn(path, observed_at_in_name(path.name))
    assert publication.announced(None) is publication
    announced = publication.announced(date(2022, 2, 25))
    assert announced.effective_at == datetime(2022, 2, 25, tzinfo=UTC)
    assert announced.source.published_on == date(2022, 2, 25)
    with pytest.raises(InvalidValue, match="announced on 2022-02-27, after the copy"):
        publication.announced(date(2022, 2, 27))


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["ofac-sdn", "{copy}", "--observed-at", "2022-02-26T01:42:52Z",
                      "--announced-on", "2022-02-27"], id="late-day"),
        pytest.param(["ofac-sdn", "{copy}", "--observed-at", "2022-02-26T01:42:52Z",
                      "--announced-on", "25 Feb"], id="not-a-date"),
        pytest.param(["ofac-sdn-history", "{folder}", "--announcements", "{map}"],
                     id="unknown-copy-in-map"),
    ],
)  # fmt: skip
def test_the_command_refuses_in_one_line_and_records_nothing(
    tmp_path: Path, args: list[str]
) -> None:
    folder = tmp_path / "copies"
    folder.mkdir()
    copy = copy_in(folder)
    announcements = tmp_path / "announced.json"
    announcements.write_text('{"2022-03-01": "2022-02-28"}')
    database = f"sqlite:///{tmp_path}/x.db"
    filled = [a.format(copy=copy, folder=folder, map=announcements) for a in args]

    result = CliRunner().invoke(app, [*filled, "--database", database])

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.splitlines()) == 1
    services = bootstrap(Settings(database_url=database))
    try:
        assert services.ledger.last_position() == 0
    finally:
        services.close()


def test_the_command_imports_a_history_with_its_announcements(tmp_path: Path) -> None:
    folder = tmp_path / "copies"
    folder.mkdir()
    copy_in(folder)
    announcements = tmp_path / "announced.csv"
    announcements.write_text(f"copy,announced_on\n{COPY},2022-02-25\n")
    database = f"sqlite:///{tmp_path}/x.db"

    result = CliRunner().invoke(
        app,
        [
            *("ofac-sdn-history", str(folder), "--announcements", str(announcements)),
            *("--database", database),
        ],
    )

    assert result.exit_code == 0, result.output
    services = bootstrap(Settings(database_url=database))
    try:
        point = services.reader.point(datetime(2022, 2, 25, tzinfo=UTC))
        [measure] = services.reader.measures(point, MeasureFilter(), None, 10).items
        assert measure["effective_from"] == "2022-02-25T00:00:00Z"
    finally:
        services.close()


def test_an_announcement_never_backdates_past_what_the_ledger_holds(tmp_path: Path) -> None:
    """Announced before the copy that listed them: a rescission takes effect when its
    measure did, a new profile when the one it replaces did, never earlier."""
    services = bootstrap(Settings(database_url="memory://"))
    try:
        importer = Importer(services, Actor("importer", "list importer"))
        rows = ('1,"ALPHA, Anna"', '2,"BRAVO, Boris"')
        first = sdn_copy(tmp_path, "2022-02-24T015220Z", *rows)
        importer.run(ofac_sdn(first, observed_at_in_name(first.name)))
        second = sdn_copy(tmp_path, "2022-02-26T014252Z", '2,"BRAVO, Boris Borisovich"')
        copy = ofac_sdn(second, observed_at_in_name(second.name)).announced(date(2022, 2, 23))
        summary = importer.run(copy)
        assert (summary.amended, summary.rescinded) == (1, 1)

        listed_at = datetime(2022, 2, 24, 1, 52, 20, tzinfo=UTC)
        alpha, bravo = (held(services, number) for number in ("1", "2"))
        [alpha_measure] = alpha.measures.values()
        assert alpha_measure.rescinded_at == listed_at
        assert bravo.profile_at(listed_at).primary_name == "BRAVO, Boris Borisovich"
        assert [change.effective_at for change in bravo.profile_history] == [listed_at] * 2
    finally:
        services.close()


def held(services: Services, ent_num: str) -> SubjectState:
    subject_id = services.ledger.subject_id_for(Reference(Authority.US_OFAC, ent_num))
    assert subject_id is not None
    return services.ledger.subject(subject_id).state


def sdn_copy(folder: Path, observed: str, *entries: str) -> Path:
    """A dated SDN copy of individuals under SDGT, each entry given as 'number,"name"'."""
    rows = [f'{entry},"individual","SDGT",{",".join(["-0- "] * 8)}' for entry in entries]
    path = folder / f"sdn_{observed}.csv"
    path.write_bytes(("".join(row + "\r\n" for row in rows) + "\x1a").encode("latin-1"))
    return path
