"""RFC 9162's Merkle tree, written straight from section 2.1: the recursive definitions (MTH,
PATH, PROOF) and the verification algorithms, recomputing everything from the entries, so that
``application.proofs.merkle``, which only reads stored perfect subtrees, is checked against the
text and not against itself."""

from __future__ import annotations

import hashlib


def ref_hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ref_leaf(entry: bytes) -> bytes:
    return ref_hash(b"\x00" + entry)


def ref_mth(entries: list[bytes]) -> bytes:
    n = len(entries)
    if n == 0:
        return ref_hash(b"")
    if n == 1:
        return ref_leaf(entries[0])
    k = ref_split(n)
    return ref_hash(b"\x01" + ref_mth(entries[:k]) + ref_mth(entries[k:]))


def ref_split(n: int) -> int:
    """The largest power of two strictly smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_path(m: int, entries: list[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = ref_split(n)
    if m < k:
        return [*ref_path(m, entries[:k]), ref_mth(entries[k:])]
    return [*ref_path(m - k, entries[k:]), ref_mth(entries[:k])]


def ref_proof(m: int, entries: list[bytes]) -> list[bytes]:
    return ref_subproof(m, entries, True)


def ref_subproof(m: int, entries: list[bytes], complete: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if complete else [ref_mth(entries)]
    k = ref_split(n)
    if m <= k:
        return [*ref_subproof(m, entries[:k], complete), ref_mth(entries[k:])]
    return [*ref_subproof(m - k, entries[k:], False), ref_mth(entries[:k])]


def ref_verify_inclusion(
    leaf_index: int, tree_size: int, hash_: bytes, path: list[bytes], root_hash: bytes
) -> bool:
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, hash_
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = ref_hash(b"\x01" + p + r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            r = ref_hash(b"\x01" + r + p)
        fn, sn = fn // 2, sn // 2
    return sn == 0 and r == root_hash


def ref_verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]
) -> bool:
    """Only defined for 0 < first < second."""
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn // 2, sn // 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = ref_hash(b"\x01" + c + fr)
            sr = ref_hash(b"\x01" + c + sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            sr = ref_hash(b"\x01" + sr + c)
        fn, sn = fn // 2, sn // 2
    return fr == first_hash and sr == second_hash and sn == 0
