"""RFC 9162's tree hashes and proofs over a list of entries, as the Merkle module's unit tests
ask for them: the recursive definitions of ``tests.support.rfc9162`` (written from the RFC,
with nothing of ``application.proofs.merkle``) applied to the entries' leaf hashes, so that
the module, which only reads stored perfect subtrees, is checked against the text."""

from __future__ import annotations

from tests.support.rfc9162 import Reference, hash_leaf


def _over(entries: list[bytes]) -> Reference:
    return Reference([hash_leaf(entry) for entry in entries])


def ref_mth(entries: list[bytes]) -> bytes:
    """MTH of the entries (of no entries: SHA-256 of nothing)."""
    return _over(entries).mth(0, len(entries))


def ref_path(m: int, entries: list[bytes]) -> list[bytes]:
    """PATH(m, entries): the inclusion proof of entry ``m``."""
    return _over(entries).path(m, 0, len(entries))


def ref_proof(m: int, entries: list[bytes]) -> list[bytes]:
    """PROOF(m, entries): the consistency proof from the first ``m`` entries, 0 < m <= n."""
    return _over(entries).subproof(m, 0, len(entries), True)
