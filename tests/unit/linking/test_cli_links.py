"""``ledger links``: suggestions in a terminal, decisions recorded with their evidence.

On a SQLite file: the one pair of two lists is suggested (a table, or JSON Lines); the
automatic mode links it with the rule as the actor and the pair's reasons as the evidence, and
it is not suggested again; a rejection from the command line does the same for another pair.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from api.cli_links import app
from application.bootstrap import Services, bootstrap
from application.commands import Citation, RegisterSubject
from application.settings import Settings
from domain.link import Link
from domain.values import Actor, Authority, Name, Profile, Reference, Source, SubjectKind

OPERATOR = Actor("k1", "operator")


def register(services: Services, authority: Authority, reference: str, name: str) -> str:
    command = RegisterSubject(
        kind=SubjectKind.PERSON,
        profile=Profile((Name(name),), birth_dates=("1936-07-01",), nationalities=("IQ",)),
        references=(Reference(authority, reference),),
        effective_at=datetime(2018, 10, 29, tzinfo=UTC),
        citation=Citation(source=Source(authority, "a list")),
    )
    return str(services.ledger.execute(command, OPERATOR).subject_ids[0])


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, dict[str, str]]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    services = bootstrap(Settings(database_url=url, projections="external"))
    try:
        subjects = {
            "un": register(services, Authority.UN_SC, "IQi.025", "TARIQ AZIZ"),
            "ofac": register(services, Authority.US_OFAC, "7867", "AZIZ, Tariq"),
            "uk": register(services, Authority.UK, "IRQ0001", "Tareq AZIZ"),
        }
    finally:
        services.close()
    return url, subjects


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def suggested(url: str) -> set[frozenset[str]]:
    lines = run("suggest", "--json", "--database", url).splitlines()
    return {frozenset(json.loads(line)["subject_ids"]) for line in lines}


def test_suggest_then_accept_automatically_then_reject(
    database: tuple[str, dict[str, str]],
) -> None:
    url, subjects = database
    un, ofac, uk = subjects["un"], subjects["ofac"], subjects["uk"]
    assert frozenset((un, ofac)) in suggested(url)
    table = run("suggest", "--authority-a", "UN-SC", "--authority-b", "US-OFAC", "--database", url)
    assert "TARIQ AZIZ" in table and "AZIZ, Tariq" in table

    run(
        "suggest",
        "--authority-a",
        "UN-SC",
        "--authority-b",
        "US-OFAC",
        "--accept-above",
        "0.9",
        "--database",
        url,
    )
    services = bootstrap(Settings(database_url=url, projections="external"))
    try:
        link: Link = services.ledger.repository.get(Link.id_for(UUID(un), UUID(ofac)))
    finally:
        services.close()
    decision = link.decisions[-1]
    assert decision.recorded_by.id == "rule:links-auto@0.9"
    assert decision.evidence.names == ("TARIQ AZIZ", "AZIZ, Tariq")
    assert decision.evidence.score is not None and decision.evidence.score >= 0.9
    assert frozenset((un, ofac)) not in suggested(url)

    run("reject", uk, un, "--reason", "another Tariq", "--database", url)
    assert frozenset((un, uk)) not in suggested(url)
