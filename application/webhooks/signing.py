"""Signing deliveries the Standard Webhooks way, with its reference library.

A secret is ``whsec_`` and the base64 of 32 random bytes, the form every Standard Webhooks
library reads. Each delivery carries three headers: ``webhook-id`` (the message's id, the
same on every attempt of one feed item for one subscription, so that a receiver can drop
repeats), ``webhook-timestamp`` (seconds since 1970, when this attempt was signed: receivers
refuse stale ones, so it is the attempt's time, not the event's) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``).
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def message_id(subscription_id: str, position: int) -> str:
    """Deterministic per subscription and log position: a redelivery after a crash, or
    after a failure, carries the id of the first attempt."""
    return f"msg_{subscription_id.replace('-', '')}_{position}"


def payload(item: dict[str, Any]) -> str:
    """The body of one delivery: the feed item, in the envelope Standard Webhooks suggests
    (``type``, ``timestamp``, ``data``). Serialised canonically (sorted keys, no spaces),
    so that every attempt of one message sends the very same bytes."""
    envelope = {
        "type": f"ledger.{item.get('type', 'event')}",
        "timestamp": item.get("recorded_at"),
        "data": item,
    }
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def signed_headers(secret: str, msg_id: str, body: str, moment: datetime) -> dict[str, str]:
    moment = moment.astimezone(UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, moment, body),
    }
