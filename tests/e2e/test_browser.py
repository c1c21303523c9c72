"""The pages in a real browser: headless Chromium from the system's packages, driven by
playwright (no browser download), against a real ``ledger serve`` with the founding example.

Each step saves a screenshot under ``$LEDGER_TEST_ARTIFACTS`` (default ``test-artifacts/``
in the repository), named by test and step.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.secrets import remember
from tests.support.server import ledger_command, serving

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
SOIN = "7c8cd24f-bfad-5755-b9af-fd7b8ae4f292"
SERVER_ENV = {"LEDGER_LOG_LEVEL": "error"}
"""Nobody reads the server's output while it runs: a full pipe would stall it."""


def find_chromium() -> str | None:
    return next((path for path in CHROMIUM if os.access(path, os.X_OK)), None)


@pytest.fixture(scope="module")
def chromium() -> str:
    """The system's Chromium; installed with apt-get when missing and running as root."""
    found = find_chromium()
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "chromium", "chromium-driver"],
            capture_output=True,
            timeout=900,
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        found = find_chromium()
    if found is None:
        pytest.skip(
            "no Chromium at /usr/bin/chromium, and it could not be installed here "
            "(apt-get install -y chromium chromium-driver needs root and the Debian archive)"
        )
    return found


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get("LEDGER_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A served ledger with the founding example: its base URL and an admin's key."""
    database = f"sqlite:///{tmp_path}/ledger.db"
    loaded = ledger_command("demo", "--database", database)
    assert loaded.returncode == 0, loaded.stderr
    created = ledger_command(
        "keys", "create", "--role", "admin", "--name", "browser", "--database", database
    )
    assert created.returncode == 0, created.stderr
    token = remember(created.stdout.strip().splitlines()[-1])
    with serving(database, env=SERVER_ENV) as base:
        yield base, token


def cross_site_sign_in(base: str, key: str, form_token: str) -> str:
    """Another site's page with a sign-in form for the ledger, filled in with a key."""
    return (
        f'<form method="post" action="{base}/ui/sign-in">'
        f'<input type="hidden" name="key" value="{key}">'
        f'<input type="hidden" name="csrf_token" value="{form_token}">'
        '<button type="submit">Win a prize</button></form>'
    )


def test_an_auditor_walks_through_the_pages(
    chromium: str, artifacts: Path, ledger: tuple[str, str]
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, token = ledger

    def shot(page: object, step: str) -> None:
        page.screenshot(path=str(artifacts / f"{step}.png"))  # type: ignore[attr-defined]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 850})
            page.set_default_timeout(15_000)

            # Signing in: any page sends to the sign-in page and back.
            page.goto(f"{base}/ui/search")
            expect(page).to_have_url(re.compile(r"/ui/sign-in"))

            # A page on another site posting the sign-in form signs nobody in, even with
            # this browser's own form token: the browser leaves the sign-in cookie behind.
            shown_token = page.locator("input[name=csrf_token]").get_attribute("value")
            page.route(
                "http://elsewhere.test/**",
                lambda route: route.fulfill(
                    content_type="text/html",
                    body=cross_site_sign_in(base, token, shown_token or ""),
                ),
            )
            page.goto("http://elsewhere.test/")
            with page.expect_response(f"{base}/ui/sign-in") as posted:
                page.click("button[type=submit]")
            assert posted.value.status == 403
            expect(page.locator(".field-error")).to_contain_text("not sent from this site")
            shot(page, "00-sign-in-from-another-site-refused")
            page.goto(f"{base}/ui/search")
            expect(page).to_have_url(re.compile(r"/ui/sign-in"))

            page.fill("#key", token)
            shot(page, "01-sign-in")
            page.click("button[type=submit]")
            expect(page).to_have_url(re.compile(r"/ui/search\?.*known_at=position"))

            # Search "soyin": Soin, scored.
            page.fill("input[name=q]", "soyin")
            page.click("form.filters button[type=submit]")
            hit = page.locator("#hits a", has_text="SOIN, Dmitriy Yurevich")
            expect(hit).to_be_visible()
            shot(page, "02-search-soyin")

            # Soin's page: the bitemporal picture, one band.
            hit.click()
            expect(page.locator("#subject-name")).to_have_text("SOIN, Dmitriy Yurevich")
            expect(page.locator("svg#bitemporal g.band")).to_have_count(1)
            expect(page.locator("#history tbody tr")).to_have_count(2)
            shot(page, "03-subject-page")
            subject_url = page.url

            # The list of 11 December 2021, chosen with the date picker.
            page.goto(f"{base}/ui/list")
            page.fill("input[name=as_of]", "2021-12-11")
            page.click("form.filters button[type=submit]")
            expect(page.locator("#count")).to_contain_text("29 measure(s) in force")
            expect(page).to_have_url(re.compile(r"as_of=2021-12-11"))
            shot(page, "04-list-2021-12-11")

            # The difference between 9 and 11 December 2021: 25 OFAC designations added.
            page.goto(f"{base}/ui/changes")
            page.fill("input[name=since]", "2021-12-09")
            page.fill("input[name=until]", "2021-12-11")
            page.select_option("select[name=authority]", "US-OFAC")
            page.select_option("select[name=kind]", "designation")
            page.click("form.filters button[type=submit]")
            expect(page.locator("#counts .added")).to_have_text("25 added")
            expect(page.locator("#changes tbody tr.change-added")).to_have_count(25)
            shot(page, "05-difference")

            # A bad answer, shown by its field; then a designation recorded through the form.
            page.goto(f"{base}/ui/subjects/{SOIN}/designate")
            page.select_option("select[name=authority]", "UK")
            page.fill("input[name=programs]", "RUSSIA")
            page.fill("input[name=effective_from]", "1930-03-01")
            page.select_option("select[name=source_authority]", "UK")
            page.fill("input[name=source_reference]", "UK sanctions notice 2022/1")
            page.click("form.record button[type=submit]")
            expect(page.locator("#field-effective_from .field-error")).to_contain_text(
                "before 1945"
            )
            shot(page, "06-form-error-by-field")
            page.fill("input[name=effective_from]", "2022-03-01")
            page.click("form.record button[type=submit]")
            expect(page).to_have_url(re.compile(rf"/ui/subjects/{SOIN}\?"))
            expect(page.locator("svg#bitemporal g.band")).to_have_count(2)
            expect(page.locator("#measures")).to_contain_text("UK sanctions notice 2022/1")
            shot(page, "07-designation-recorded")

            # The page sent earlier still shows what it showed: its URL pins its read point.
            page.goto(subject_url)
            expect(page.locator("svg#bitemporal g.band")).to_have_count(1)

            # On a phone: 375 px wide, nothing wider than the screen.
            page.set_viewport_size({"width": 375, "height": 800})
            page.goto(subject_url)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"the subject page is {overflow} px wider than 375 px"
            shot(page, "08-subject-page-375px")
        finally:
            browser.close()
