"""When to try again after a failed delivery, and when to stop trying.

Exponential backoff with jitter: after the n-th consecutive failure the worker waits
``base * 2**(n-1)`` seconds, capped, and then a random share of it between a half and the
whole ("equal jitter"), so that a receiver that comes back after an outage is not hit by
every waiting subscription at once. A ``Retry-After`` the receiver sent is honoured, up to
the cap. After ``max_failures`` consecutive failures the subscription is paused; only a
resumption (``POST /v1/subscriptions/{id}/resumption``) starts it again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from application.webhooks.settings import WebhookSettings


@dataclass(frozen=True)
class Backoff:
    base: float
    cap: float
    max_failures: int
    draw: Callable[[], float] = random.random
    """A number in [0, 1): the jitter's share."""

    @classmethod
    def of(cls, settings: WebhookSettings) -> Backoff:
        return cls(
            settings.backoff_base_seconds, settings.backoff_cap_seconds, settings.max_failures
        )

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to wait after ``failures`` consecutive failures (1 or more)."""
        exponent = min(max(failures, 1) - 1, 60)
        ceiling = min(self.cap, self.base * float(2**exponent))
        wait = ceiling * (0.5 + self.draw() / 2)
        if retry_after is not None and retry_after > wait:
            wait = min(self.cap, retry_after)
        return wait

    def pauses(self, failures: int) -> bool:
        return failures >= self.max_failures
