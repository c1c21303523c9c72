"""API keys for tests: one per role, issued straight from the services."""

from __future__ import annotations

import pytest

from application.bootstrap import Services
from application.keys import CLI, Role
from tests.support.secrets import remember


def issue(services: Services, role: Role | str, name: str | None = None) -> str:
    """A new key's token, remembered so that the session can check it was never stored."""
    token = services.keys.issue(role, name or f"test {role}", created_by=CLI).token
    return remember(token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cached_key(services: Services, role: Role | str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new key, and the process's key cache trusted for the rest of the test.

    A lane answers only with a key the cache verifies, and the cache is trusted for half a
    second after it last read the keys' revision: on a loaded machine more than that can pass
    between the request that fills it and the one the test sends through the lane.
    """
    monkeypatch.setattr(services.keys.cache, "max_age", 3600.0)
    return issue(services, role)
