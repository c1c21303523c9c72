"""Webhooks: the feed of changes pushed to subscribers, signed per Standard Webhooks.

- ``subscriptions``: what a subscriber asked for (URL, filter, secret) and its delivery log;
- ``progress``: the worker's leases, cursors and log rows, every change a compare-and-set;
- ``worker``: ``ledger deliver``'s loop, a thread per subscription, each in log order;
- ``signing``, ``transport``, ``backoff``: one delivery, signed, sent, and retried.

Guarantees: each feed item matching a subscription's filter is delivered at least once, in
log order per subscription, with a ``webhook-id`` that is the same on every attempt, so a
receiver that remembers the ids it took drops the repeats. Deliveries run in the worker
process only, never in an API request.
"""
