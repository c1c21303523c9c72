"""What a newcomer sees: the founding example loaded and served by the real command, read
with the admin key that ``make run`` prints the first time."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx

from application.demo.founding_example import demo_subject_id
from tests.support.server import ledger_command, serving


def test_the_founding_example_is_served_after_the_demo_command(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/ledger.db"
    first = ledger_command("demo", "--database", database)
    assert first.returncode == 0, first.stderr
    assert "29 subjects" in first.stderr
    again = ledger_command("demo", "--database", database)
    assert "already" in again.stderr
    make_run = ("keys", "create", "--role", "admin", "--name", "make run", "--if-none")
    created = ledger_command(*make_run, "--database", database)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("sl_")
    second_run = ledger_command(*make_run, "--database", database)
    assert second_run.stdout == "" and "already" in second_run.stderr

    key = {"Authorization": f"Bearer {token}"}
    with serving(database) as base:
        soin_url = f"{base}/v1/subjects/{demo_subject_id('ofac-34021')}"
        anonymous = httpx.get(soin_url)
        soin = httpx.get(soin_url, headers=key).json()
        sensetime = httpx.get(
            f"{base}/v1/subjects/{demo_subject_id('sensetime')}", headers=key
        ).json()
        officials = httpx.get(
            f"{base}/v1/subjects/{demo_subject_id('state-7031c-officials')}", headers=key
        ).json()

    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")

    assert soin["profile"]["primary_name"] == "SOIN, Dmitriy Yurevich"
    [designation] = soin["measures"]
    assert (designation["kind"], designation["programs"], designation["in_force"]) == (
        "designation",
        ["DPRK3"],
        True,
    )
    assert designation["source"]["url"] == "https://ofac.treasury.gov/recent-actions/20211210"
    [restriction] = sensetime["measures"]
    assert (restriction["kind"], restriction["programs"]) == ("investment_restriction", ["NS-CMIC"])
    [ban] = officials["measures"]
    assert (ban["kind"], ban["covers_family"], ban["authority"]) == ("visa_ban", True, "US-STATE")
    assert officials["profile"]["names"][0]["type"] == "description"
