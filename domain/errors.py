"""Typed errors of the sanctions domain.

Three families, which the API maps to HTTP statuses once and for all:
``InvalidValue`` (the request itself is wrong), ``RuleViolation`` (the request is well
formed but the ledger's state forbids it) and ``NotFound``. A command that raises any of
them has recorded nothing.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidValue(LedgerError):
    """A value that can never be right, whatever the ledger holds."""


class ImplausibleDate(InvalidValue):
    """An effective date before 1945 or far in the future, given without confirmation."""


class RuleViolation(LedgerError):
    """A well-formed command that the ledger's current state forbids."""


class MeasureOverlap(RuleViolation):
    """The same measure would be in force twice over the same period."""

    def __init__(self, detail: str, existing_measure_id: str) -> None:
        super().__init__(detail)
        self.existing_measure_id = existing_measure_id


class RescissionRefused(RuleViolation):
    """A rescission before the measure takes effect, after it ends, or a second one."""


class AmendmentRefused(RuleViolation):
    """An amendment outside the measure's period in force, or of the wrong shape."""


class VoidingRefused(RuleViolation):
    """An event that cannot be voided, or whose voiding would leave the subject inconsistent."""


class ReferenceTaken(RuleViolation):
    """An authority's reference already identifies another subject."""

    def __init__(self, detail: str, subject_id: str) -> None:
        super().__init__(detail)
        self.subject_id = subject_id


class LinkRefused(RuleViolation):
    """A link decision the pair's earlier decisions forbid (linking a linked pair,
    unlinking one that is not, rejecting a linked one)."""


class NotFound(LedgerError):
    """The thing named does not exist in the ledger."""


class SubjectNotFound(NotFound):
    pass


class MeasureNotFound(NotFound):
    pass


class EventNotFound(NotFound):
    pass


class LinkNotFound(NotFound):
    pass
