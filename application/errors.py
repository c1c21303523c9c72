"""Errors the application adds to the domain's: those about writers meeting each other."""

from __future__ import annotations

from domain.errors import LedgerError


class WriteConflict(LedgerError):
    """Another writer changed the same subject at the same moment, again and again."""


class PreconditionFailed(LedgerError):
    """The subject is no longer at the version the writer said it expected."""
