"""The parts of one delivery: its id and signature, its backoff, its HTTP request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from application.webhooks.backoff import Backoff
from application.webhooks.settings import WebhookSettings
from application.webhooks.signing import message_id, new_secret, payload, signed_headers
from application.webhooks.transport import post
from tests.support.webhooks import receiving

ITEM = {"position": 7, "type": "designated", "recorded_at": "2026-01-05T12:00:00Z", "name": "É"}


def test_a_message_is_signed_so_that_the_standard_library_verifies_it() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and new_secret() != secret
    body = payload(ITEM)
    assert body == payload(dict(reversed(ITEM.items()))), "the same bytes on every attempt"
    msg_id = message_id("4f332a90-d976-495e-9b44-b9a256bfbf01", 7)
    assert msg_id == message_id("4f332a90-d976-495e-9b44-b9a256bfbf01", 7)
    assert msg_id != message_id("4f332a90-d976-495e-9b44-b9a256bfbf01", 8)
    headers = signed_headers(secret, msg_id, body, datetime.now(UTC))
    verified = Webhook(secret).verify(body.encode(), headers)
    assert verified == {"type": "ledger.designated", "timestamp": ITEM["recorded_at"], "data": ITEM}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body.encode(), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("7", "8").encode(), headers)


def test_the_wait_doubles_with_each_failure_up_to_the_cap_with_jitter() -> None:
    whole = Backoff(base=1, cap=10, max_failures=3, draw=lambda: 0.999_999)
    half = Backoff(base=1, cap=10, max_failures=3, draw=lambda: 0.0)
    assert [round(whole.delay(n), 3) for n in (1, 2, 3, 4, 5, 60)] == [1, 2, 4, 8, 10, 10]
    assert [half.delay(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1, 2, 4, 5]
    assert half.delay(1, retry_after=7) == 7
    assert half.delay(1, retry_after=100) == 10, "a Retry-After is honoured up to the cap"
    assert (whole.pauses(2), whole.pauses(3)) == (False, True)


def test_settings_refuse_a_lease_that_a_delivery_could_outlast() -> None:
    with pytest.raises(ValidationError):
        WebhookSettings(timeout_seconds=10, lease_seconds=20)
    with pytest.raises(ValidationError):
        WebhookSettings(backoff_base_seconds=10, backoff_cap_seconds=1)


def test_a_post_reports_the_status_and_never_follows_a_redirect() -> None:
    answers = {"/ok": 204, "/moved": 302}
    with receiving(lambda path, _headers, _body: answers[path]) as receiver:
        taken = post(f"{receiver.url}/ok", b"{}", {"webhook-id": "msg_1"}, 5)
        assert (taken.ok, taken.status_code, taken.error) == (True, 204, None)
        moved = post(f"{receiver.url}/moved", b"{}", {}, 5)
        assert (moved.ok, moved.error) == (False, "the receiver answered 302")
        assert [r.path for r in receiver.all()] == ["/ok", "/moved"]
        sent = receiver.all()[0]
        assert sent.headers["webhook-id"] == "msg_1"
        assert sent.headers["content-type"] == "application/json"
    refused = post(receiver.url, b"{}", {}, 5)  # the receiver is gone
    assert refused.status_code is None and refused.error
    assert "ConnectionRefusedError" in refused.error
