"""The pages' security: sessions, CSRF, roles, escaping, cookie flags."""

from __future__ import annotations

import re

from application.bootstrap import Services
from application.keys import CLI, TOKEN_PREFIX
from tests.support.keys import issue
from tests.ui.conftest import MEASURE_FORM, SOIN, Browser, csrf_of, log_of, sign_in

DESIGNATE = f"/ui/subjects/{SOIN}/designate"


def test_a_form_without_a_valid_csrf_token_is_refused_and_records_nothing(
    browser: Browser, ui_services: Services
) -> None:
    client = browser()
    sign_in(client, ui_services, "operator")
    token = csrf_of(client.get(DESIGNATE).text)
    before = log_of(ui_services)
    for sent in ({}, {"csrf_token": ""}, {"csrf_token": token[:-1] + "0"}):
        answer = client.post(DESIGNATE, data={**MEASURE_FORM, **sent})
        assert answer.status_code == 403, sent
    # Another session's token is no good either.
    other = browser()
    sign_in(other, ui_services, "operator")
    assert (
        client.post(
            DESIGNATE, data={**MEASURE_FORM, "csrf_token": csrf_of(other.get(DESIGNATE).text)}
        ).status_code
        == 403
    )
    assert log_of(ui_services) == before
    # The same form with the session's own token is recorded.
    answer = client.post(DESIGNATE, data={**MEASURE_FORM, "csrf_token": token})
    assert answer.status_code == 200
    assert len(log_of(ui_services)) == len(before) + 1


def test_a_readers_session_sees_no_operator_forms_and_is_refused_if_it_posts_one(
    browser: Browser, ui_services: Services
) -> None:
    client = browser()
    sign_in(client, ui_services, "reader")
    page = client.get(f"/ui/subjects/{SOIN}")
    assert page.status_code == 200
    assert 'id="operate"' not in page.text
    assert "/designate" not in page.text and "/rescind" not in page.text
    assert client.get(DESIGNATE).status_code == 403
    before = log_of(ui_services)
    answer = client.post(DESIGNATE, data={**MEASURE_FORM, "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 403
    assert (
        client.post(
            f"/ui/events/{SOIN}@2/void", data={"reason": "no", "csrf_token": csrf_of(page.text)}
        ).status_code
        == 403
    )
    assert log_of(ui_services) == before


def test_an_auditor_reads_the_history_an_operator_records(
    browser: Browser, ui_services: Services
) -> None:
    auditor, operator = browser(), browser()
    sign_in(auditor, ui_services, "auditor")
    sign_in(operator, ui_services, "operator")
    audited = auditor.get(f"/ui/subjects/{SOIN}").text
    assert 'id="history"' in audited and 'id="operate"' not in audited
    operated = operator.get(f"/ui/subjects/{SOIN}").text
    assert 'id="history"' not in operated and 'id="operate"' in operated


def test_names_and_sources_are_shown_as_text_on_every_page(
    browser: Browser, ui_services: Services
) -> None:
    client = browser()
    sign_in(client, ui_services, "admin")
    hostile = "<script>alert(1)</script>"
    registered = client.post(
        "/v1/subjects",
        headers={"Authorization": f"Bearer {issue(ui_services, 'admin')}"},
        json={
            "kind": "person",
            "profile": {"names": [{"value": hostile}, {"value": f"{hostile} alias"}]},
            "effective_at": "2021-12-10",
            "source": {"authority": "UK", "reference": hostile, "url": "javascript:alert(1)"},
        },
    )
    assert registered.status_code == 201, registered.text
    subject = registered.json()["subject_ids"][0]
    form = {
        **MEASURE_FORM,
        "programs": hostile,
        "source_reference": hostile,
        "source_url": "javascript:alert(2)",
    }
    page = client.get(f"/ui/subjects/{subject}/designate")
    assert (
        client.post(
            f"/ui/subjects/{subject}/designate", data={**form, "csrf_token": csrf_of(page.text)}
        ).status_code
        == 200
    )
    pages = [
        f"/ui/subjects/{subject}",
        "/ui/search?q=script+alert",
        "/ui/list?as_of=2022-06-01",
        "/ui/changes?since=2022-01-01&until=2022-06-01",
        f"/ui/subjects/{subject}/designate",
    ]
    for path in pages:
        text = client.get(path).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
        assert "<script>" not in text, path
        assert 'href="javascript:' not in text, path
    # A refused form shows the submitted values again, escaped too.
    refused = client.post(
        f"/ui/subjects/{subject}/designate",
        data={**form, "effective_from": hostile, "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 422
    assert "<script>" not in refused.text


def test_the_session_cookie_is_httponly_strict_and_secure_over_https(
    browser: Browser, ui_services: Services
) -> None:
    for https in (False, True):
        client = browser(https=https)
        answer = client.post(
            "/ui/sign-in", data={"key": issue(ui_services, "reader")}, follow_redirects=False
        )
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"]
        attributes = {part.strip().lower() for part in cookie.split(";")}
        assert "httponly" in attributes
        assert "samesite=strict" in attributes
        assert ("secure" in attributes) is https
        assert "path=/ui" in attributes


def test_the_cookie_is_secure_behind_a_proxy_that_says_https(
    browser: Browser, ui_services: Services
) -> None:
    """uvicorn, trusting the proxy, makes the request's scheme the one X-Forwarded-Proto
    names; the app sees https, as here."""
    client = browser(https=True)
    answer = client.post(
        "/ui/sign-in",
        data={"key": issue(ui_services, "reader")},
        headers={"X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    assert "secure" in {p.strip().lower() for p in answer.headers["set-cookie"].split(";")}


def test_the_session_holds_no_key(browser: Browser, ui_services: Services) -> None:
    client = browser()
    token = issue(ui_services, "reader")
    answer = client.post("/ui/sign-in", data={"key": token}, follow_redirects=False)
    session = client.cookies["ledger_session"]
    secret = token.rsplit("_", 1)[-1]
    assert secret not in session and secret not in answer.headers["set-cookie"]
    with ui_services.tables.transaction(commit=False) as sql:
        sql.execute("SELECT * FROM {ledger_ui_sessions}")
        rows = [dict(row) for row in sql.fetchall()]
    assert rows and all(session not in str(row) and secret not in str(row) for row in rows)


def test_signing_in_with_a_bad_key_is_refused(browser: Browser, ui_services: Services) -> None:
    client = browser()
    valid = issue(ui_services, "reader")
    for key in ("sl_nonsense", valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB")):
        answer = client.post("/ui/sign-in", data={"key": key}, follow_redirects=False)
        assert answer.status_code == 401
        assert "set-cookie" not in answer.headers
        assert "signing in refused" in answer.text
    assert client.post("/ui/sign-in", data={"key": ""}).status_code == 422
    assert client.get("/ui/search", follow_redirects=False).status_code == 303


def test_a_revoked_key_ends_its_session_and_signing_out_ends_it_too(
    browser: Browser, ui_services: Services
) -> None:
    client = browser()
    token = sign_in(client, ui_services, "reader")
    assert client.get("/ui/search").url.path == "/ui/search"
    key_id = token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 16]
    ui_services.keys.revoke(key_id, revoked_by=CLI)
    assert client.get("/ui/search").url.path == "/ui/sign-in"

    other = browser()
    sign_in(other, ui_services, "reader")
    page = other.get("/ui/search")
    kept = other.cookies["ledger_session"]
    assert other.post("/ui/sign-out", data={"csrf_token": csrf_of(page.text)}).url.path == (
        "/ui/sign-in"
    )
    # The session is gone on the server, not only from the browser.
    again = browser()
    again.cookies.set("ledger_session", kept, domain="testserver.local")
    assert again.get("/ui/search").url.path == "/ui/sign-in"


def test_signing_in_sends_back_to_ui_pages_only(browser: Browser, ui_services: Services) -> None:
    client = browser()
    for target, expected in (
        ("/ui/list?as_of=2021-12-11", "/ui/list"),
        ("https://evil.example/", "/ui/search"),
        ("//evil.example/ui/", "/ui/search"),
    ):
        answer = client.post(
            "/ui/sign-in",
            data={"key": issue(ui_services, "reader"), "next": target},
            follow_redirects=False,
        )
        assert answer.headers["location"].split("?")[0] == expected


def test_pages_forbid_framing_and_foreign_scripts(browser: Browser, ui_services: Services) -> None:
    client = browser()
    sign_in(client, ui_services, "reader")
    answer = client.get(f"/ui/subjects/{SOIN}")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert not re.search(r"<script[^>]*src=\"https?:", answer.text)
