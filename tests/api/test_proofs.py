"""The ledger's proofs, checked the way an outside auditor would: with a verifier written
here from RFC 9162 (sections 2.1.3.2 and 2.1.4.2) and nothing of the ledger's own Merkle code,
the checkpoint's signature with ``cryptography`` alone, and each leaf recomputed from the entry
``GET /v1/events`` shows.

Proving every leaf and every pair of sizes through HTTP would take minutes; the bulk is
computed from the tree's nodes as the store holds them (read once), and a sample goes through
the service and through HTTP, whose answers must be the very same proofs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.commands import Citation, RecordAction, RegisterSubject
from application.demo.founding_example import load_founding_example
from application.settings import Settings
from domain.values import Actor, Authority, Name, Profile, Source, SubjectKind
from tests.api.payloads import designation, subject
from tests.conftest import FILE_STORES, STORES, store_url
from tests.support import merkle_rows
from tests.support.clock import FakeClock
from tests.support.keys import bearer, issue
from tests.support.merkle_rows import TreeRows

PROBLEM = "application/problem+json"
OPERATOR = Actor("k1", "operator")
SOURCE = Source(Authority.US_OFAC, "proof tests")
EVENTS = 1000
INCLUSION_SIZES = (1, 37, 512, 777, EVENTS)
CONSISTENCY_EVENTS = 200


# --- RFC 9162, written from the text ----------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hash_leaf(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry)


def hash_children(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def shift_until_odd_or_zero(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2, step by step."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            if not fn & 1:
                fn, sn = shift_until_odd_or_zero(fn, sn)
        else:
            r = hash_children(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2, with the two cases the RFC leaves out: from the empty tree
    (its root is SHA-256 of nothing) and between equal sizes, both with an empty proof."""
    if first > second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path and first_root == sha256(b"")
    if not path:
        return False
    steps = list(path)
    if first & (first - 1) == 0:
        steps.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = steps[0]
    for c in steps[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = hash_children(c, fr), hash_children(c, sr)
            if not fn & 1:
                fn, sn = shift_until_odd_or_zero(fn, sn)
        else:
            sr = hash_children(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


class Reference:
    """MTH, PATH and PROOF of RFC 9162 section 2.1, by their recursive definitions, over
    known leaf hashes: what a correct log must answer, hash for hash."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = list(leaves)
        self.memo: dict[tuple[int, int], bytes] = {}

    @staticmethod
    def split(n: int) -> int:
        k = 1
        while k * 2 < n:
            k *= 2
        return k

    def mth(self, start: int, end: int) -> bytes:
        if end == start:
            return sha256(b"")
        if end - start == 1:
            return self.leaves[start]
        if (start, end) not in self.memo:
            k = self.split(end - start)
            self.memo[start, end] = hash_children(
                self.mth(start, start + k), self.mth(start + k, end)
            )
        return self.memo[start, end]

    def path(self, m: int, start: int, end: int) -> list[bytes]:
        if end - start == 1:
            return []
        k = self.split(end - start)
        if m < k:
            return [*self.path(m, start, start + k), self.mth(start + k, end)]
        return [*self.path(m - k, start + k, end), self.mth(start, start + k)]

    def subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        if m == end - start:
            return [] if whole else [self.mth(start, end)]
        k = self.split(end - start)
        if m <= k:
            return [*self.subproof(m, start, start + k, whole), self.mth(start + k, end)]
        return [*self.subproof(m - k, start + k, end, False), self.mth(start, start + k)]

    def proof(self, m: int, n: int) -> list[bytes]:
        return [] if m in (0, n) else self.subproof(m, 0, n, True)


# --- the ledgers ------------------------------------------------------------------------


def decode(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def decoded(texts: Sequence[str]) -> list[bytes]:
    return [decode(text) for text in texts]


def register(count: int, offset: int = 0) -> RecordAction:
    """``count`` subjects in one action; some names lie beyond the Basic Multilingual Plane,
    so that their entries are canonical JSON of the slower kind."""
    names = [f"PERSON {offset + i} {'𠜎𠜱 😀' if i % 50 == 0 else 'Zoë Ærø'}" for i in range(count)]
    return RecordAction(
        tuple(
            RegisterSubject(kind=SubjectKind.PERSON, profile=Profile(names=(Name(name),)))
            for name in names
        ),
        Citation(source=SOURCE),
    )


def all_events(client: TestClient) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after: int | None = 0
    while after is not None:
        response = client.get("/v1/events", params={"after": after, "limit": 500})
        assert response.status_code == 200, response.text
        events += response.json()["items"]
        after = response.json()["next_after"]
    return events


def event_id(event: dict[str, Any]) -> str:
    return f"{event['aggregate_id']}@{event['version']}"


def tree_rows(services: Services) -> TreeRows:
    """Every leaf and inner node of the tree, in key order."""
    return merkle_rows.tree_rows(services.ledger.merkle.tables)


def stored_nodes(services: Services) -> dict[tuple[int, int], bytes]:
    """The tree as the store holds it: leaves as level 0, then every stored inner node."""
    leaves, nodes = tree_rows(services)
    found = {(0, int(index)): hash_ for index, _, hash_ in leaves}
    found.update({(int(level), int(index)): hash_ for level, index, hash_ in nodes})
    return found


@dataclass
class Logged:
    """A ledger of ``EVENTS`` events, its client, its events as ``GET /v1/events`` shows
    them, and their leaf hashes recomputed here from each entry."""

    services: Services
    client: TestClient
    events: list[dict[str, Any]]
    leaves: list[bytes]
    reference: Reference

    def root(self, size: int) -> bytes:
        return self.reference.mth(0, size)

    def checkpoint_root(self, size: int) -> bytes:
        response = self.client.get("/v1/ledger/checkpoint", params={"tree_size": size})
        assert response.status_code == 200, response.text
        assert response.json()["tree_size"] == size
        return decode(response.json()["root_hash"])


def canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.fixture(scope="module", params=STORES)
def logged(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Logged]:
    """One ledger per store for the whole module: the proofs only read it."""
    url = store_url(request.param, request, tmp_path_factory.mktemp("proofs"))
    services = bootstrap(Settings(database_url=url), clock=FakeClock())
    try:
        load_founding_example(services.ledger, OPERATOR)
        first = services.ledger.last_position()
        services.ledger.execute(register(EVENTS - first), OPERATOR)
        token = issue(services, "admin", "proof auditor")
        with TestClient(create_app(services=services), headers=bearer(token)) as client:
            events = all_events(client)
            leaves = [hash_leaf(canonical(event["entry"])) for event in events]
            yield Logged(services, client, events, leaves, Reference(leaves))
    finally:
        services.close()


# --- leaves -------------------------------------------------------------------------------


def test_every_leaf_is_the_hash_of_its_entry_in_canonical_json(logged: Logged) -> None:
    assert len(logged.events) == EVENTS
    assert [event["leaf_index"] for event in logged.events] == list(range(EVENTS))
    beyond_bmp = 0
    for event, leaf in zip(logged.events, logged.leaves, strict=True):
        entry = event["entry"]
        assert decode(event["leaf_hash"]) == leaf
        assert hash_leaf(rfc8785.dumps(entry)) == leaf
        assert entry["position"] == event["position"]
        assert entry["originator_id"] == event["aggregate_id"]
        assert entry["originator_version"] == event["version"]
        assert entry["topic"] == event["topic"]
        assert entry["recorded_at"] == entry["state"]["timestamp"]["_data_"]
        beyond_bmp += "😀" in json.dumps(entry, ensure_ascii=False)
    assert beyond_bmp >= 10


# --- inclusion ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", INCLUSION_SIZES)
def test_every_leaf_is_included_under_the_signed_root_of_the_tree_size(
    logged: Logged, size: int
) -> None:
    from application.proofs import merkle  # the proof's producer, not its checker

    root = logged.checkpoint_root(size)
    assert root == logged.root(size)
    nodes = stored_nodes(logged.services)
    for index in range(size):
        path = merkle.inclusion_proof(index, size, nodes)
        assert path == logged.reference.path(index, 0, size), index
        assert verify_inclusion(index, size, logged.leaves[index], path, root), index


@pytest.mark.parametrize("size", INCLUSION_SIZES)
def test_the_service_and_http_answer_the_same_inclusion_proofs(logged: Logged, size: int) -> None:
    root = logged.checkpoint_root(size)
    for index in range(0, size, 25):
        event = logged.events[index]
        answer = logged.services.proofs.inclusion(event_id(event), size)
        assert answer["leaf_index"] == index and answer["tree_size"] == size
        assert decode(answer["root_hash"]) == root
        path = decoded(answer["inclusion_path"])
        assert path == logged.reference.path(index, 0, size)
        assert verify_inclusion(index, size, logged.leaves[index], path, root)
    for index in {0, size // 2, size - 1}:
        event = logged.events[index]
        response = logged.client.get(
            f"/v1/events/{event_id(event)}/inclusion", params={"tree_size": size}
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["event_id"] == event_id(event)
        assert answer["position"] == event["position"]
        assert decode(answer["leaf_hash"]) == logged.leaves[index]
        path = decoded(answer["inclusion_path"])
        assert verify_inclusion(index, size, logged.leaves[index], path, root)


def test_an_inclusion_proof_fails_with_any_hash_changed_or_at_another_size(
    logged: Logged,
) -> None:
    size, index = 777, 300
    answer = logged.services.proofs.inclusion(event_id(logged.events[index]), size)
    path, leaf, root = decoded(answer["inclusion_path"]), logged.leaves[index], logged.root(size)
    assert verify_inclusion(index, size, leaf, path, root)
    for at in range(len(path)):
        changed = [*path]
        changed[at] = bytes([changed[at][0] ^ 0x01]) + changed[at][1:]
        assert not verify_inclusion(index, size, leaf, changed, root), at
    assert not verify_inclusion(index, size, bytes(32), path, root)
    assert not verify_inclusion(index, size, leaf, path, logged.root(size - 1))
    for other in (size - 1, size + 1, 512, 1024, index):
        assert not verify_inclusion(index, other, leaf, path, logged.root(min(other, EVENTS)))
    assert not verify_inclusion(index + 1, size, leaf, path, root)
    assert not verify_inclusion(index, size, leaf, path[:-1], root)
    assert not verify_inclusion(index, size, leaf, [*path, path[-1]], root)


# --- consistency --------------------------------------------------------------------------


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


# --- the checkpoint's signature -----------------------------------------------------------


def signed_parts(note: str) -> tuple[str, str, bytes]:
    """The signed body of a C2SP signed note, its signer's name and the signature blob."""
    text, signatures = note.split("\n\n", 1)
    [line] = signatures.splitlines()
    assert line.startswith("\u2014 ")
    name, blob = line[2:].split(" ")
    return text + "\n", name, decode(blob)


def test_the_checkpoint_is_signed_by_the_published_key(logged: Logged) -> None:
    key = logged.client.get("/v1/ledger/public-key", headers={"Authorization": ""}).json()
    public = Ed25519PublicKey.from_public_bytes(decode(key["public_key"]))
    raw = decode(key["public_key"])
    note = logged.client.get(
        "/v1/ledger/checkpoint", params={"tree_size": 512}, headers={"Accept": "text/plain"}
    )
    assert note.status_code == 200 and note.headers["content-type"].startswith("text/plain")
    body, name, blob = signed_parts(note.text)
    assert name == key["key_name"]
    assert blob[:4] == sha256(name.encode() + b"\n\x01" + raw)[:4]
    public.verify(blob[4:], body.encode())
    origin, size, root = body.splitlines()
    assert origin == key["origin"] and size == "512"
    assert decode(root) == logged.root(512)

    for forged in (
        f"{origin}\n513\n{root}\n",
        f"{origin}\n{EVENTS}\n{root}\n",
        f"{origin}\n512\n{base64.b64encode(logged.root(511)).decode()}\n",
        f"{origin}x\n512\n{root}\n",
    ):
        with pytest.raises(InvalidSignature):
            public.verify(blob[4:], forged.encode())


def test_the_json_checkpoint_carries_the_same_signed_note(logged: Logged) -> None:
    answer = logged.client.get("/v1/ledger/checkpoint").json()
    assert answer["tree_size"] == EVENTS
    assert decode(answer["root_hash"]) == logged.root(EVENTS)
    assert answer["position"] == logged.events[-1]["position"]
    body, _, _ = signed_parts(answer["checkpoint"])
    assert body.splitlines()[1:] == [str(EVENTS), answer["root_hash"]]
    at_position = logged.client.get(
        "/v1/ledger/checkpoint", params={"position": logged.events[99]["position"]}
    ).json()
    assert at_position["tree_size"] == 100
    assert decode(at_position["root_hash"]) == logged.root(100)


# --- refusals -------------------------------------------------------------------------------


def assert_problem(response: Any, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert words in response.json()["detail"]


def test_proof_requests_the_tree_cannot_answer_are_problems(logged: Logged) -> None:
    client, first = logged.client, event_id(logged.events[0])
    assert_problem(client.get(f"/v1/events/{uuid.uuid4()}@1/inclusion"), 404, "no event")
    last = event_id(logged.events[-1])
    assert_problem(
        client.get(f"/v1/events/{last}/inclusion", params={"tree_size": EVENTS - 1}),
        422,
        f"leaf {EVENTS - 1}",
    )
    # A tree size beyond the tree, and a first tree larger than the second, are values the
    # ledger refuses: 422, as for a position beyond the end of the log.
    beyond = {"tree_size": EVENTS + 1}
    assert_problem(client.get(f"/v1/events/{first}/inclusion", params=beyond), 422, "no tree")
    assert_problem(client.get("/v1/ledger/checkpoint", params=beyond), 422, "no tree")
    assert_problem(
        client.get("/v1/ledger/consistency", params={"first": 2, "second": EVENTS + 1}),
        422,
        "no tree",
    )
    assert_problem(
        client.get("/v1/ledger/consistency", params={"first": 20, "second": 10}),
        422,
        "larger than second",
    )


# --- the full check over HTTP -------------------------------------------------------------


def saved_checkpoint_then_more(client: TestClient, services: Services) -> str:
    """The founding example, its signed checkpoint, then 100 more events."""
    load_founding_example(services.ledger, OPERATOR)
    note = client.get("/v1/ledger/checkpoint", headers={"Accept": "text/plain"}).text
    services.ledger.execute(register(100, offset=10_000), OPERATOR)
    return note


def verification(client: TestClient, note: str) -> dict[str, Any]:
    response = client.post("/v1/ledger/verification", json={"checkpoint": note})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_saved_checkpoint_verifies_against_the_grown_log(
    client: TestClient, services: Services
) -> None:
    note = saved_checkpoint_then_more(client, services)
    answer = verification(client, note)
    assert answer["verified"] is True and answer["problem_count"] == 0
    assert answer["events"] == answer["tree_size"] == 183
    assert answer["first_bad_position"] is None
    assert answer["checkpoint"]["consistent"] is True
    assert answer["checkpoint"]["tree_size"] == 83


def test_a_checkpoint_saved_as_the_json_answer_verifies_too(
    client: TestClient, services: Services
) -> None:
    load_founding_example(services.ledger, OPERATOR)
    saved = client.get("/v1/ledger/checkpoint?tree_size=40").text
    services.ledger.execute(register(3, offset=20_000), OPERATOR)
    answer = verification(client, saved)
    assert answer["verified"] is True
    assert answer["checkpoint"]["tree_size"] == 40 and answer["checkpoint"]["consistent"] is True
    forged = saved.replace('"tree_size":40', '"tree_size":41').replace("\\n40\\n", "\\n41\\n")
    assert forged.count("41") >= saved.count("41") + 2
    refused = client.post("/v1/ledger/verification", json={"checkpoint": forged})
    assert refused.status_code == 422
    assert "not a checkpoint this ledger signed" in refused.json()["detail"]


@pytest.mark.parametrize("store_kind", FILE_STORES)
def test_a_byte_changed_in_an_earlier_event_fails_the_verification(
    client: TestClient, services: Services
) -> None:
    note = saved_checkpoint_then_more(client, services)
    position = all_events(client)[41]["position"]
    recorder: Any = services.ledger.recorder
    column = "rowid" if services.ledger.store.name == "sqlite" else "notification_id"
    table = recorder.events_table_name
    if services.ledger.store.name == "postgres":
        table = f'"{recorder.datastore.schema}".{table}'
    with services.ledger.merkle.tables.transaction(commit=True) as statements:
        statements.execute(f"SELECT state FROM {table} WHERE {column} = ?", [position])
        row = statements.fetchone()
        assert row is not None
        state = bytearray(bytes(row["state"]))
        at = state.index(b'"timestamp"') + 3
        state[at] ^= 0x01
        statements.execute(
            f"UPDATE {table} SET state = ? WHERE {column} = ?", [bytes(state), position]
        )
    answer = verification(client, note)
    assert answer["verified"] is False
    assert answer["first_bad_position"] == position
    assert answer["problems"][0]["position"] == position
    assert answer["checkpoint"]["consistent"] is False


# --- a refused write ------------------------------------------------------------------------


def test_a_refused_write_leaves_the_tree_unchanged(client: TestClient, services: Services) -> None:
    registered = client.post("/v1/subjects", json=subject())
    assert registered.status_code == 201, registered.text
    before = tree_rows(services)
    assert len(before[0]) == 2

    unknown = client.post(f"/v1/subjects/{uuid.uuid4()}/designations", json=designation())
    assert unknown.status_code == 404, unknown.text
    malformed = client.post("/v1/subjects", json={**subject(), "kind": "spaceship"})
    assert malformed.status_code == 422, malformed.text
    taken = client.post("/v1/subjects", json=subject())
    assert taken.status_code == 409, taken.text
    half_good = {"items": [{"op": "register", "key": "x", **subject(reference="9")}]}
    half_good["items"].append({"op": "designate", "subject": str(uuid.uuid4()), **designation()})
    assert client.post("/v1/actions", json=half_good).status_code == 404

    assert tree_rows(services) == before
    checkpoint = client.get("/v1/ledger/checkpoint").json()
    assert checkpoint["tree_size"] == 2
