"""Every pair of tree sizes is consistent under the signed roots, as the RFC 9162 verifier
written here checks: every pair's proof computed from the tree's nodes as the store holds
them, and a sample asked of the service and over HTTP, whose answers must be the very same
proofs."""

from __future__ import annotations

from tests.support.audited_ledger import EVENTS, Logged, decode, decoded, stored_nodes
from tests.support.rfc9162 import verify_consistency

CONSISTENCY_EVENTS = 200


def test_every_pair_of_sizes_is_consistent_under_the_signed_roots(logged: Logged) -> None:
    from application.proofs import merkle  # the proof's producer, not its checker

    roots = [logged.checkpoint_root(size) for size in range(CONSISTENCY_EVENTS + 1)]
    assert roots == [logged.root(size) for size in range(CONSISTENCY_EVENTS + 1)]
    nodes = stored_nodes(logged.services)
    for second in range(CONSISTENCY_EVENTS + 1):
        for first in range(second + 1):
            path = merkle.consistency_proof(first, second, nodes)
            assert path == logged.reference.proof(first, second), (first, second)
            assert verify_consistency(first, second, roots[first], roots[second], path), (
                first,
                second,
            )


def sampled_pairs() -> list[tuple[int, int]]:
    """Every kind of pair: equal, adjacent, from the empty tree, to the largest tree, from
    powers of two and from their neighbours."""
    n = CONSISTENCY_EVENTS
    pairs = {(m, m) for m in range(0, n + 1, 20)} | {(m, m + 1) for m in range(n)}
    pairs |= {(m, n) for m in range(n + 1)} | {(0, m) for m in range(0, n + 1, 10)}
    for first in (1, 2, 3, 63, 64, 65, 127, 128, 129):
        pairs |= {(first, second) for second in range(first, n + 1, 7)}
    return sorted(pairs)


def test_the_service_and_http_answer_the_same_consistency_proofs(logged: Logged) -> None:
    reference = logged.reference
    for first, second in sampled_pairs():
        answer = logged.services.proofs.consistency(first, second)
        path = decoded(answer["consistency_path"])
        assert path == reference.proof(first, second), (first, second)
        root_1, root_2 = decode(answer["root_hash_1"]), decode(answer["root_hash_2"])
        assert (root_1, root_2) == (logged.root(first), logged.root(second))
        assert verify_consistency(first, second, root_1, root_2, path), (first, second)
    for first, second in ((0, 1), (1, 1), (3, 7), (64, 200), (100, EVENTS), (777, EVENTS)):
        response = logged.client.get(
            "/v1/ledger/consistency", params={"first": first, "second": second}
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert (answer["tree_size_1"], answer["tree_size_2"]) == (first, second)
        path = decoded(answer["consistency_path"])
        roots = (logged.checkpoint_root(first), logged.checkpoint_root(second))
        assert verify_consistency(first, second, *roots, path)


def test_a_consistency_proof_fails_with_any_hash_changed_or_other_sizes(logged: Logged) -> None:
    first, second = 77, 200
    answer = logged.services.proofs.consistency(first, second)
    path = decoded(answer["consistency_path"])
    roots = (logged.root(first), logged.root(second))
    assert verify_consistency(first, second, *roots, path)
    for at in range(len(path)):
        changed = [*path]
        changed[at] = changed[at][:31] + bytes([changed[at][31] ^ 0x80])
        assert not verify_consistency(first, second, *roots, changed), at
    for other_first, other_second in ((76, 200), (78, 200), (77, 199), (77, 201), (64, 200)):
        other_roots = (logged.root(other_first), logged.root(other_second))
        assert not verify_consistency(other_first, other_second, *other_roots, path)
    assert not verify_consistency(first, second, logged.root(76), roots[1], path)
    assert not verify_consistency(first, second, roots[0], logged.root(199), path)
    assert not verify_consistency(second, first, roots[1], roots[0], path)
