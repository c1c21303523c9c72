"""One start of the service, as the stores see it: what its parts may share while they
create their tables.

A start builds a dozen parts (the event store, the views, the keys, the idempotency records,
the signing key, the screenings, the webhooks), and each creates its tables under the store's
creation lock. On PostgreSQL that lock is a session lock on a connection of its own, and
opening one costs the server a new backend: some 7 ms of its processor per connection, eight
times over in one start. Within ``one_start()`` the parts take the lock in turn on one such
connection instead, each still locking and unlocking around its own tables, and the start
closes it at its end. The connections are the context's (each thread has its own), so two
threads of one process never share a session, whose advisory locks would not keep them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_SHARED: ContextVar[dict[Any, Any] | None] = ContextVar("creation_connections", default=None)


@contextmanager
def one_start() -> Iterator[None]:
    """A start whose parts share their creation connections, closed at its end."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        shared = _SHARED.get() or {}
        _SHARED.reset(token)
        for connection in shared.values():
            connection.close()


def in_start() -> bool:
    """Whether this thread is inside ``one_start()``."""
    return _SHARED.get() is not None


def shared_connection(key: Any, connect: Callable[[], Any]) -> Any:
    """The start's connection for ``key``, made with ``connect`` on first need."""
    shared = _SHARED.get()
    assert shared is not None, "only inside one_start()"
    connection = shared.get(key)
    if connection is None or connection.closed:
        connection = shared[key] = connect()
    return connection


def forget_connection(key: Any) -> None:
    """Drop the start's connection for ``key`` (it failed): the next part opens another."""
    shared = _SHARED.get()
    if shared is not None and (connection := shared.pop(key, None)) is not None:
        connection.close()
