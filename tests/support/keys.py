"""API keys for tests: one per role, issued straight from the services."""

from __future__ import annotations

from application.bootstrap import Services
from application.keys import CLI, Role
from tests.support.secrets import remember


def issue(services: Services, role: Role | str, name: str | None = None) -> str:
    """A new key's token, remembered so that the session can check it was never stored."""
    token = services.keys.issue(role, name or f"test {role}", created_by=CLI).token
    return remember(token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
