"""The pages' security: CSRF on the forms, roles, escaping, framing. (Signing in and
sessions: test_sign_in.py.)"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from application.bootstrap import Services
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
    altered = token[:-1] + ("1" if token.endswith("0") else "0")
    for sent in ({}, {"csrf_token": ""}, {"csrf_token": altered}):
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
    signed_in: Callable[[str], TestClient],
) -> None:
    auditor, operator = signed_in("auditor"), signed_in("operator")
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


def test_pages_forbid_framing_and_foreign_scripts(
    signed_in: Callable[[str], TestClient],
) -> None:
    answer = signed_in("reader").get(f"/ui/subjects/{SOIN}")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert not re.search(r"<script[^>]*src=\"https?:", answer.text)
