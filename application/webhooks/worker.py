"""The delivery worker: every active subscription served at once, each strictly in log order.

One thread per subscription this worker holds the lease of (``application.webhooks.progress``),
so that a slow or dead receiver only ever delays its own subscription. A thread reads ahead
a batch of the feed items after its cursor that match the subscription's filter, and delivers
them one at a time: the next item is sent only once the one before it was taken (2xx) and
the cursor moved past it. After a failure the same item is sent again once the backoff is
waited out, so an item is never skipped and never overtaken.

Several workers may run against one database: a subscription is delivered by the worker that
holds its lease, renewed while it works; another takes it over only once the lease ran out
(its holder died or stalled). Stopping (``stop``) lets each thread finish the delivery in
flight, commit it, and give its lease back.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from application.feed import FeedFilter, feed_items
from application.ledger import Ledger
from application.webhooks.backoff import Backoff
from application.webhooks.progress import Attempt, LeaseLost, Progress, Work
from application.webhooks.settings import WebhookSettings
from application.webhooks.signing import message_id, payload, signed_headers
from application.webhooks.transport import Outcome, post

log = structlog.get_logger("application.webhooks")

Source = Callable[[int, int, FeedFilter], tuple[list[dict[str, Any]], int]]
"""The feed items after a log position that match a filter, in log order, from a scan of at
most ``limit`` events, and the position the scan reached (``application.feed.feed_items``)."""
Post = Callable[[str, bytes, dict[str, str], float], Outcome]


def feed_of(ledger: Ledger) -> Source:
    def read(after: int, limit: int, chosen: FeedFilter) -> tuple[list[dict[str, Any]], int]:
        return feed_items(ledger, after, limit, chosen)

    return read


def worker_name() -> str:
    """A lease owner's name: unique per worker, and telling where it runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Deliverer:
    progress: Progress
    source: Source
    settings: WebhookSettings
    owner: str = ""
    wall: Callable[[], float] = time.time
    send: Post = post
    backoff: Backoff | None = None

    def __post_init__(self) -> None:
        self.owner = self.owner or worker_name()
        self.backoff = self.backoff or Backoff.of(self.settings)
        self.stopping = threading.Event()
        self.threads: dict[str, threading.Thread] = {}
        self.resting: dict[str, float] = {}
        self.lock = threading.Lock()
        """Subscriptions whose thread failed, by when this worker may take them again."""

    def run(self) -> None:
        """Serve subscriptions until ``stop``; then wait for every delivery in flight."""
        log.info("delivering webhooks", worker=self.owner)
        try:
            while not self.stopping.is_set():
                try:
                    self.start_due()
                except Exception as error:  # the database away: try again at the next poll
                    log.warning("subscriptions not read", error=f"{type(error).__name__}: {error}")
                self.stopping.wait(self.settings.poll_seconds)
        finally:
            self.join()
            log.info("stopped delivering webhooks", worker=self.owner)

    def stop(self) -> None:
        self.stopping.set()

    def join(self, timeout: float | None = None) -> None:
        for thread in list(self.threads.values()):
            thread.join(timeout)

    def start_due(self) -> None:
        """Start a thread for each active subscription whose lease this worker can take."""
        self.threads = {ident: t for ident, t in self.threads.items() if t.is_alive()}
        now = self.wall()
        with self.lock:
            self.resting = {ident: until for ident, until in self.resting.items() if until > now}
        for ident in self.progress.candidates(self.owner, now):
            if ident in self.threads or ident in self.resting:
                continue
            if len(self.threads) >= self.settings.max_concurrent:
                break
            work = self.progress.acquire(
                ident, self.owner, self.wall(), self.settings.lease_seconds
            )
            if work is None:
                continue
            thread = threading.Thread(
                target=self.serve, args=(work,), name=f"webhooks-{ident[:8]}", daemon=True
            )
            self.threads[ident] = thread
            thread.start()

    def serve(self, work: Work) -> None:
        """Deliver to one subscription until the worker stops or the lease is lost."""
        try:
            Courier(self, work).run()
        except LeaseLost:
            log.info("subscription left", subscription=work.subscription.id)
        except Exception as error:
            # The lease is given back below; this or another worker picks it up again, this
            # one after a rest, so that an error that persists does not spin.
            rest = min(10 * self.settings.backoff_base_seconds, self.settings.backoff_cap_seconds)
            with self.lock:
                self.resting[work.subscription.id] = self.wall() + rest
            log.exception(
                "delivering to a subscription failed",
                subscription=work.subscription.id,
                error=f"{type(error).__name__}: {error}",
            )
        finally:
            try:
                self.progress.release(work)
            except Exception as error:  # the lease runs out by itself
                log.warning(
                    "lease not released",
                    subscription=work.subscription.id,
                    error=type(error).__name__,
                )


class Courier:
    """One subscription's deliveries, in log order."""

    def __init__(self, deliverer: Deliverer, work: Work) -> None:
        self.deliverer = deliverer
        self.settings = deliverer.settings
        self.work = work
        self.lease_until = deliverer.wall() + self.settings.lease_seconds
        self.ahead: deque[dict[str, Any]] = deque()
        self.read_to = work.subscription.cursor

    def run(self) -> None:
        stopping = self.deliverer.stopping
        while not stopping.is_set():
            self.keep_lease()
            wait = self.work.subscription.next_attempt_at - self.deliverer.wall()
            if wait > 0:
                stopping.wait(min(wait, self.settings.poll_seconds))
                continue
            if not self.ahead and not self.read_ahead():
                stopping.wait(self.settings.poll_seconds)
                continue
            if not self.deliver(self.ahead[0]):
                if self.work.subscription.status != "active":
                    return
                continue  # the same item again, once the backoff is waited out
            self.ahead.popleft()
            if not self.ahead:
                self.work = self.deliverer.progress.pass_over(self.work, self.read_to)

    def keep_lease(self) -> None:
        """Renew the lease once half of it is spent: a delivery starts with at least half a
        lease ahead of it, which outlasts any one delivery (``WebhookSettings``)."""
        now = self.deliverer.wall()
        if now < self.lease_until - self.settings.lease_seconds / 2:
            return
        self.work = self.deliverer.progress.renew(self.work, now, self.settings.lease_seconds)
        self.lease_until = now + self.settings.lease_seconds

    def read_ahead(self) -> bool:
        """Fill the read-ahead from the cursor; pass over a stretch with nothing to send."""
        subscription = self.work.subscription
        items, read_to = self.deliverer.source(
            subscription.cursor, self.settings.batch_size, subscription.filter
        )
        self.ahead.extend(items)
        if len(items) == self.settings.batch_size:
            read_to = items[-1]["position"]  # a full batch: later matches may be unread
        self.read_to = max(read_to, subscription.cursor)
        if not self.ahead:
            self.work = self.deliverer.progress.pass_over(self.work, self.read_to)
        return bool(self.ahead)

    def deliver(self, item: dict[str, Any]) -> bool:
        """Send one item; record the outcome. True when the receiver took it."""
        subscription, position = self.work.subscription, int(item["position"])
        msg_id = message_id(subscription.id, position)
        body = payload(item)
        sent_at = datetime.fromtimestamp(self.deliverer.wall(), UTC)
        headers = signed_headers(self.work.secret, msg_id, body, sent_at)
        outcome = self.deliverer.send(
            subscription.url, body.encode(), headers, self.settings.timeout_seconds
        )
        attempt = Attempt(
            msg_id, position, outcome.status_code, outcome.error, sent_at, outcome.duration_ms
        )
        fields = {
            "subscription": subscription.id,
            "webhook_id": msg_id,
            "position": position,
            "attempt": subscription.attempt + 1,
            "status_code": outcome.status_code,
            "duration_ms": outcome.duration_ms,
        }
        progress = self.deliverer.progress
        if outcome.ok:
            self.work = progress.delivered(self.work, attempt)
            log.info("webhook delivered", **fields)
            return True
        backoff = self.deliverer.backoff
        assert backoff is not None
        failures = subscription.failures + 1
        pause = backoff.pauses(failures)
        retry_at = self.deliverer.wall() + backoff.delay(failures, outcome.retry_after)
        self.work = progress.failed(self.work, attempt, retry_at, pause)
        log.warning("webhook delivery failed", error=outcome.error, failures=failures, **fields)
        if pause:
            log.warning("subscription paused", subscription=subscription.id, failures=failures)
        return False
