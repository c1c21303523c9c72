"""Signing in and out: the sign-in form's own CSRF token, the cookies' flags, one session per
browser, what a session keeps, and where signing in leads."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from api.ui.sessions import DDL
from application.bootstrap import Services
from application.keys import CLI, TOKEN_PREFIX
from tests.support.keys import issue
from tests.ui.conftest import SIGN_IN, Browser, csrf_of, post_sign_in, sign_in, sign_in_token

SESSION = "ledger_session"
PRE_SESSION = "ledger_sign_in"


def session_rows(services: Services) -> set[str]:
    """The SHA-256 of every open session's id, as the server keeps them."""
    services.tables.create(DDL)  # made on the first sign-in; none may have happened yet
    with services.tables.transaction(commit=False) as sql:
        sql.execute("SELECT session_sha256 FROM {ledger_ui_sessions}")
        return {str(row["session_sha256"]) for row in sql.fetchall()}


def sha256(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def attributes(set_cookie: str) -> set[str]:
    return {part.strip().lower() for part in set_cookie.split(";")}


def cookies_set(answer: object) -> dict[str, str]:
    """Each cookie an answer sets, by name: its whole ``Set-Cookie`` line."""
    lines = answer.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return {line.split("=", 1)[0]: line for line in lines}


def signed_out(client: TestClient) -> bool:
    return client.get("/ui/search").url.path == SIGN_IN


def test_a_sign_in_without_this_browsers_form_token_is_refused_and_opens_no_session(
    browser: Browser, reading: Services
) -> None:
    """Login CSRF: a page on another site posts the sign-in form with its owner's key. The
    browser does not send its sign-in cookie along (SameSite=Strict), and the page can
    neither read that cookie nor the token derived from it."""
    attackers_key = issue(reading, "reader", "attacker")
    attacker = browser()
    attackers_token = sign_in_token(attacker)
    victim = browser()
    victims_token = sign_in_token(victim)
    altered = victims_token[:-1] + ("1" if victims_token.endswith("0") else "0")
    before = session_rows(reading)
    posts = {
        "no token": {"key": attackers_key},
        "an empty token": {"key": attackers_key, "csrf_token": ""},
        "an altered token": {"key": attackers_key, "csrf_token": altered},
        "another browser's token": {"key": attackers_key, "csrf_token": attackers_token},
    }
    for case, data in posts.items():
        answer = victim.post(SIGN_IN, data=data, follow_redirects=False)
        assert answer.status_code == 403, case
        assert SESSION not in cookies_set(answer), case
    # A form posted from elsewhere arrives without the sign-in cookie: the token alone,
    # even the browser's own, is not enough.
    cross_site = browser()
    for token in (attackers_token, victims_token):
        answer = cross_site.post(
            SIGN_IN, data={"key": attackers_key, "csrf_token": token}, follow_redirects=False
        )
        assert answer.status_code == 403
    # Nor is a key sent as JSON, which no form of this site sends.
    assert victim.post(SIGN_IN, json={"key": attackers_key}).status_code == 403
    assert session_rows(reading) == before
    assert signed_out(victim) and signed_out(cross_site)
    # The refusal is the sign-in page again, with a token that works from this browser.
    refused = victim.post(SIGN_IN, data={"key": attackers_key}, follow_redirects=False)
    assert "expired or was not sent from this site" in refused.text
    again = victim.post(
        SIGN_IN,
        data={"key": issue(reading, "reader"), "csrf_token": csrf_of(refused.text)},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert not signed_out(victim)


def test_the_cookies_are_httponly_strict_and_secure_over_https(
    browser: Browser, reading: Services
) -> None:
    for https in (False, True):
        client = browser(https=https)
        page = client.get(SIGN_IN)
        shown = attributes(cookies_set(page)[PRE_SESSION])
        assert {"httponly", "samesite=strict", "path=/ui/sign-in", "max-age=1800"} <= shown
        assert ("secure" in shown) is https
        # The page shows a token derived from the cookie, never the cookie itself.
        assert client.cookies[PRE_SESSION] not in page.text

        answer = post_sign_in(client, issue(reading, "reader"))
        assert answer.status_code == 303
        cookies = cookies_set(answer)
        session = attributes(cookies[SESSION])
        assert {"httponly", "samesite=strict", "path=/ui"} <= session
        assert ("secure" in session) is https
        # The sign-in cookie is spent: its token signs nobody in again.
        assert "max-age=0" in attributes(cookies[PRE_SESSION])
        assert PRE_SESSION not in client.cookies
        token = csrf_of(page.text)
        replay = client.post(
            SIGN_IN,
            data={"key": issue(reading, "reader"), "csrf_token": token},
            follow_redirects=False,
        )
        assert replay.status_code == 403


def test_the_cookie_is_secure_behind_a_proxy_that_says_https(
    browser: Browser, reading: Services
) -> None:
    """uvicorn, trusting the proxy, makes the request's scheme the one X-Forwarded-Proto
    names; the app sees https, as here."""
    client = browser(https=True)
    answer = post_sign_in(client, issue(reading, "reader"), headers={"X-Forwarded-Proto": "https"})
    assert "secure" in attributes(cookies_set(answer)[SESSION])


def test_signing_in_closes_the_session_the_browser_had(browser: Browser, reading: Services) -> None:
    client = browser()
    sign_in(client, reading, "reader")
    first = client.cookies[SESSION]
    assert client.get("/ui/subjects/x/designate").status_code == 403  # a reader
    sign_in(client, reading, "operator")
    second = client.cookies[SESSION]
    assert second != first
    rows = session_rows(reading)
    assert sha256(first) not in rows and sha256(second) in rows
    assert client.get("/ui/search?q=soin").status_code == 200
    # The first session is closed on the server, not only forgotten by the browser.
    kept = browser()
    kept.cookies.set(SESSION, first, domain="testserver.local")
    assert signed_out(kept)


def test_signing_in_never_keeps_a_session_id_planted_in_the_browser(
    browser: Browser, reading: Services
) -> None:
    """Session fixation: someone puts a session id of their own in the victim's browser
    (another of their sessions, or an id they made up) and waits for the victim to sign in."""
    attacker = browser()
    sign_in(attacker, reading, "reader")
    planted = attacker.cookies[SESSION]
    for id_ in (planted, "made-up-session-id"):
        victim = browser()
        victim.cookies.set(SESSION, id_, domain="testserver.local", path="/ui")
        sign_in(victim, reading, "operator")
        assert victim.cookies[SESSION] != id_
        assert sha256(id_) not in session_rows(reading)
    # The planted session is closed: it served its owner for the last time.
    assert signed_out(attacker)


def test_a_refused_sign_in_leaves_the_browsers_session_alone(
    browser: Browser, reading: Services
) -> None:
    """Another site cannot sign anyone out either, by posting a sign-in that fails."""
    client = browser()
    sign_in(client, reading, "reader")
    kept = client.cookies[SESSION]
    assert client.post(SIGN_IN, data={"key": "sl_nonsense"}).status_code == 403
    assert post_sign_in(client, "sl_nonsense").status_code == 401
    assert client.cookies[SESSION] == kept and sha256(kept) in session_rows(reading)
    assert not signed_out(client)


def test_the_session_holds_no_key(browser: Browser, reading: Services) -> None:
    client = browser()
    token = issue(reading, "reader")
    answer = post_sign_in(client, token)
    session = client.cookies[SESSION]
    secret = token.split("_", 2)[2]  # sl_<key id>_<secret>; the secret may hold "_" itself
    assert secret not in session and secret not in cookies_set(answer)[SESSION]
    with reading.tables.transaction(commit=False) as sql:
        sql.execute("SELECT * FROM {ledger_ui_sessions}")
        rows = [dict(row) for row in sql.fetchall()]
    assert rows and all(session not in str(row) and secret not in str(row) for row in rows)


def test_signing_in_with_a_bad_key_is_refused(browser: Browser, reading: Services) -> None:
    client = browser()
    valid = issue(reading, "reader")
    for key in ("sl_nonsense", valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB")):
        answer = post_sign_in(client, key)
        assert answer.status_code == 401
        assert SESSION not in cookies_set(answer)
        assert "signing in refused" in answer.text
    assert post_sign_in(client, "").status_code == 422
    assert client.get("/ui/search", follow_redirects=False).status_code == 303


def test_a_revoked_key_ends_its_session_and_signing_out_ends_it_too(
    browser: Browser, reading: Services
) -> None:
    client = browser()
    token = sign_in(client, reading, "reader")
    assert not signed_out(client)
    key_id = token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 16]
    reading.keys.revoke(key_id, revoked_by=CLI)
    assert signed_out(client)

    other = browser()
    sign_in(other, reading, "reader")
    page = other.get("/ui/search")
    kept = other.cookies[SESSION]
    assert other.post("/ui/sign-out", data={"csrf_token": csrf_of(page.text)}).url.path == (SIGN_IN)
    # The session is gone on the server, not only from the browser.
    again = browser()
    again.cookies.set(SESSION, kept, domain="testserver.local")
    assert signed_out(again)


def test_signing_in_sends_back_to_ui_pages_only(browser: Browser, reading: Services) -> None:
    client = browser()
    for target, expected in (
        ("/ui/list?as_of=2021-12-11", "/ui/list"),
        ("https://evil.example/", "/ui/search"),
        ("//evil.example/ui/", "/ui/search"),
    ):
        answer = post_sign_in(client, issue(reading, "reader"), next=target)
        assert answer.headers["location"].split("?")[0] == expected
