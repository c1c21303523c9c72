"""Signed notes and checkpoints: byte for byte what Go's tools write and read, and strict."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from application.proofs.checkpoints import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    signed_checkpoint,
)
from application.proofs.signed_note import (
    MAX_NOTE_BYTES,
    NoteError,
    NoteSigner,
    NoteVerifier,
    open_note,
)

# The keys, text and signatures of the tests of golang.org/x/mod/sumdb/note (note_test.go).
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZ"
    "b6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33"
    "WWd1RvMc+QQ=\n"
)
PETER_NOTE = TEXT + "\n" + PETER_SIG

ROOT = bytes(range(32))
ORIGIN = "ledger.example/sanctions"


def peter() -> NoteVerifier:
    return NoteVerifier.from_vkey(PETER_VKEY)


def inserted(line: str, at: int, extra: str) -> str:
    return line[:at] + extra + line[at:]


# -- Go's vector ---------------------------------------------------------------------------


def test_the_go_signer_key_gives_the_go_verifier_key() -> None:
    signer = NoteSigner.from_signer_key(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == bytes.fromhex("c74f20a3")
    assert signer.vkey == PETER_VKEY
    assert signer.signer_key == PETER_SKEY


def test_a_signer_from_the_go_seed_writes_the_go_note_byte_for_byte() -> None:
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])[1:]  # base64 may hold "+" too
    signer = NoteSigner.from_seed("PeterNeumann", seed)
    assert signer.seed == seed
    assert signer.vkey == PETER_VKEY
    assert signer.sign(TEXT) == PETER_NOTE


def test_the_go_note_opens_with_the_go_verifier_key() -> None:
    verifier = peter()
    assert verifier.key_id.hex() == "c74f20a3"
    assert verifier.vkey == PETER_VKEY
    assert open_note(PETER_NOTE, verifier) == TEXT


def test_each_key_opens_a_note_signed_by_both_and_ignores_the_other_line() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, peter()) == TEXT
    assert open_note(note, NoteVerifier.from_vkey(ENOCH_VKEY)) == TEXT


def test_repeated_and_unknown_lines_do_not_stop_a_good_signature() -> None:
    enoch_altered = inserted(ENOCH_SIG, 58, "ABCD")
    note = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_altered
    assert open_note(note, peter()) == TEXT


def test_the_go_note_with_a_mangled_signature_does_not_verify() -> None:
    # Go's own case: four characters inserted inside the signature's base64.
    note = TEXT + "\n" + inserted(PETER_SIG, 58, "ABCD")
    with pytest.raises(NoteError, match=r"signature by the key PeterNeumann\+c74f20a3 does not"):
        open_note(note, peter())


@pytest.mark.parametrize(
    "note",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        "\udcff" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name")[:-1],
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"),
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG * 101,
    ],
    ids=[
        "no-signatures",
        "blank-line-only",
        "no-final-newline",
        "control-character",
        "not-utf8",
        "space-in-name-go",
        "space-in-name",
        "stray-line",
        "too-many-signatures",
    ],
)
def test_gos_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteError, match="malformed note"):
        open_note(note, peter())


def test_every_mangling_of_the_go_verifier_key_is_refused() -> None:
    for mangled in manglings(PETER_VKEY):
        with pytest.raises(ValueError):  # noqa: PT011 - each mangling fails its own way
            NoteVerifier.from_vkey(mangled)


def test_every_mangling_of_the_go_signer_key_is_refused() -> None:
    for mangled in manglings(PETER_SKEY):
        with pytest.raises(ValueError):  # noqa: PT011 - each mangling fails its own way
            NoteSigner.from_signer_key(mangled)


def manglings(key: str) -> list[str]:
    """Every proper part of ``key``, and ``key`` with each character moved one code point on."""
    parts = [key[i:j] for i in range(len(key)) for j in range(i + 1, len(key) + 1)]
    moved = [key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))]
    return [part for part in parts if part != key] + moved


@pytest.mark.parametrize(
    ("vkey", "reason"),
    [
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "base64",
        ),
        ("PeterNeumann+c74f20a3+" + base64.b64encode(b"\x01" + bytes(33)).decode(), "32-byte"),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "0x01"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "lowercase hex"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "space"),
        ("PeterNeumann+c74f20a3", "name\\+keyid\\+key"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64"),
    ],
)
def test_a_malformed_verifier_key_says_why(vkey: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        NoteVerifier.from_vkey(vkey)


# -- our own keys --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


def test_a_note_opens_with_its_signers_verifier_key(signer: NoteSigner) -> None:
    body = "one line\n\nand a line after a blank one\n"
    note = signer.sign(body)
    assert note.startswith(body + "\n— " + ORIGIN + " ")
    assert open_note(note, NoteVerifier.from_vkey(signer.vkey)) == body


def test_a_signer_key_string_gives_back_the_same_signer(signer: NoteSigner) -> None:
    again = NoteSigner.from_signer_key(signer.signer_key)
    assert again.seed == signer.seed
    assert again.sign("same\n") == signer.sign("same\n")


def test_the_signature_verifies_with_the_bare_ed25519_key(signer: NoteSigner) -> None:
    body = "signed bytes are the text with its final newline\n"
    key = Ed25519PublicKey.from_public_bytes(signer.public_key_bytes)
    key.verify(signature_of(signer.sign(body)), body.encode())
    with pytest.raises(InvalidSignature):
        key.verify(signature_of(signer.sign(body)), body.encode() + b"\n")


def signature_of(note: str) -> bytes:
    """The Ed25519 signature of a note's only signature line (without the key id)."""
    line = note.rsplit("\n\n", 1)[1]
    return base64.b64decode(line.split(" ")[2])[4:]


def test_an_altered_body_does_not_verify(signer: NoteSigner) -> None:
    note = signer.sign("pay 100\n").replace("pay 100", "pay 900")
    with pytest.raises(NoteError, match="does not verify"):
        open_note(note, signer.verifier)


def test_an_altered_signature_does_not_verify(signer: NoteSigner) -> None:
    note = signer.sign("text\n")
    start = note.index(ORIGIN + " ") + len(ORIGIN) + 1 + 20  # inside the signature proper
    replacement = "B" if note[start] == "A" else "A"
    altered = note[:start] + replacement + note[start + 1 :]
    with pytest.raises(NoteError, match="does not verify"):
        open_note(altered, signer.verifier)


def test_an_altered_key_name_leaves_no_signature_by_the_key(signer: NoteSigner) -> None:
    note = signer.sign("text\n").replace(f"— {ORIGIN} ", f"— {ORIGIN}x ")
    with pytest.raises(NoteError, match="no signature by the key"):
        open_note(note, signer.verifier)


def test_a_note_by_another_key_is_refused(signer: NoteSigner) -> None:
    impostor = NoteSigner.generate(ORIGIN)  # same name, other key, hence other key id
    label = re.escape(f"{ORIGIN}+{signer.key_id.hex()}")
    with pytest.raises(NoteError, match=f"no signature by the key {label}$"):
        open_note(impostor.sign("text\n"), signer.verifier)


def test_a_line_by_the_key_that_fails_rejects_the_note(signer: NoteSigner) -> None:
    good = signer.sign("text\n")
    forged = signer.sign("other\n").rsplit("\n\n", 1)[1]
    with pytest.raises(NoteError, match="does not verify"):
        open_note(good + forged, signer.verifier)


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        ("text\n— name AAAAAAAA\n", "no blank line"),
        ("text\n\n", "no signature lines"),
        ("text\n\n- name AAAAAAAA\n", "is not a signature line"),
        ("text\n\n— name\n", "has no signature"),
        ("text\n\n— na+me AAAAAAAA\n", "contains a space or a '\\+'"),
        ("text\n\n— name AAAA*AAA\n", "not valid base64"),
        ("text\n\n— name AAAAAAB=\n", "not canonical base64"),
        ("text\n\n— name AAAAAA==\n", "too short"),
        ("text\r\n\n— name AAAAAAAA\n", "control character '\\\\r'"),
        ("x" * MAX_NOTE_BYTES + "\n\n— name AAAAAAAA\n", "larger than"),
    ],
)
def test_a_malformed_note_is_refused_with_its_reason(
    signer: NoteSigner, note: str, reason: str
) -> None:
    with pytest.raises(NoteError, match=f"malformed note: .*{reason}"):
        open_note(note, signer.verifier)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("no final newline", "ending in a newline"),
        ("", "ending in a newline"),
        ("tab\there\n", "control character"),
    ],
)
def test_only_a_proper_text_is_signed(signer: NoteSigner, body: str, reason: str) -> None:
    with pytest.raises(NoteError, match=reason):
        signer.sign(body)


@pytest.mark.parametrize("name", ["", "two words", "a+b", "tab\tname"])
def test_a_key_name_has_no_spaces_nor_plus(name: str) -> None:
    with pytest.raises(ValueError, match="key name"):
        NoteSigner.generate(name)


def test_a_seed_has_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        NoteSigner.from_seed("name", bytes(31))


# -- checkpoints ---------------------------------------------------------------------------


def test_a_checkpoint_body_is_origin_size_and_root() -> None:
    checkpoint = Checkpoint(ORIGIN, 20852163, ROOT)
    expected = f"{ORIGIN}\n20852163\n{base64.b64encode(ROOT).decode()}\n"
    assert checkpoint.body() == expected
    assert Checkpoint.parse(expected) == checkpoint


def test_the_empty_tree_has_size_zero() -> None:
    assert Checkpoint.parse(Checkpoint(ORIGIN, 0, ROOT).body()).tree_size == 0


def test_the_spec_example_parses() -> None:
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = Checkpoint.parse(body)
    assert (checkpoint.origin, checkpoint.tree_size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.body() == body


def test_extension_lines_are_read_and_dropped() -> None:
    body = Checkpoint(ORIGIN, 7, ROOT).body()
    assert Checkpoint.parse(body + "ext one\next two\n") == Checkpoint.parse(body)


def root_line(data: bytes) -> str:
    return base64.b64encode(data).decode()


GOOD_ROOT = root_line(ROOT)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (f"{ORIGIN}\n007\n{GOOD_ROOT}\n", "leading zeros"),
        (f"{ORIGIN}\n00\n{GOOD_ROOT}\n", "leading zeros"),
        (f"{ORIGIN}\n-1\n{GOOD_ROOT}\n", "not a decimal number"),
        (f"{ORIGIN}\n+1\n{GOOD_ROOT}\n", "not a decimal number"),
        (f"{ORIGIN}\n0x10\n{GOOD_ROOT}\n", "not a decimal number"),
        (f"{ORIGIN}\n1 000\n{GOOD_ROOT}\n", "not a decimal number"),
        (f"{ORIGIN}\n\u0661\u0662\n{GOOD_ROOT}\n", "not a decimal number"),
        (f"{ORIGIN}\n\n{GOOD_ROOT}\n", "not a decimal number"),
        (f"{ORIGIN}\n{2**64}\n{GOOD_ROOT}\n", "exceeds"),
        (f"{ORIGIN}\n5\n{root_line(bytes(31))}\n", "31 bytes, not 32"),
        (f"{ORIGIN}\n5\n{root_line(bytes(33))}\n", "33 bytes, not 32"),
        (f"{ORIGIN}\n5\n{GOOD_ROOT[:-1]}\n", "root hash.*base64"),
        (f"{ORIGIN}\n5\n", "at least three lines"),
        (f"{ORIGIN}\n", "at least three lines"),
        (f"\n5\n{GOOD_ROOT}\n", "origin must not be empty"),
        (f"{ORIGIN}\n5\n{GOOD_ROOT}", "end in a newline"),
        (f"{ORIGIN}\n5\n{GOOD_ROOT}\n\n", "extension\\) is empty"),
        (f"{ORIGIN}\t\n5\n{GOOD_ROOT}\n", "control character"),
    ],
)
def test_a_malformed_checkpoint_is_refused_with_its_reason(body: str, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        Checkpoint.parse(body)


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [(ORIGIN, -1, ROOT), (ORIGIN, True, ROOT), (ORIGIN, 1, ROOT[:-1]), ("", 1, ROOT)],
)
def test_a_checkpoint_cannot_be_built_from_bad_parts(origin: str, size: int, root: bytes) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint(origin, size, root)


def test_a_signed_checkpoint_opens_with_the_logs_key(signer: NoteSigner) -> None:
    checkpoint = Checkpoint(ORIGIN, 42, ROOT)
    note = signed_checkpoint(checkpoint, signer)
    verifier = NoteVerifier.from_vkey(signer.vkey)
    assert open_checkpoint(note, verifier) == checkpoint
    assert open_checkpoint(note, verifier, origin=ORIGIN) == checkpoint


def test_a_checkpoint_of_another_log_is_refused(signer: NoteSigner) -> None:
    note = signed_checkpoint(Checkpoint("other.example/log", 42, ROOT), signer)
    with pytest.raises(CheckpointError, match=re.escape("of the log 'other.example/log', not of")):
        open_checkpoint(note, signer.verifier, origin=ORIGIN)


def test_a_signed_text_that_is_no_checkpoint_is_refused(signer: NoteSigner) -> None:
    with pytest.raises(CheckpointError, match="at least three lines"):
        open_checkpoint(signer.sign("just a note\n"), signer.verifier)


def test_a_checkpoint_signed_by_another_key_is_refused(signer: NoteSigner) -> None:
    note = signed_checkpoint(Checkpoint(ORIGIN, 42, ROOT), NoteSigner.generate(ORIGIN))
    with pytest.raises(NoteError, match="no signature by the key"):
        open_checkpoint(note, signer.verifier, origin=ORIGIN)


@pytest.mark.parametrize(
    ("before", "after"),
    [("\n42\n", "\n43\n"), (f"\n{GOOD_ROOT}\n", f"\n{root_line(bytes(32))}\n")],
    ids=["size", "root"],
)
def test_an_altered_size_or_root_fails_the_signature(
    signer: NoteSigner, before: str, after: str
) -> None:
    body = Checkpoint(ORIGIN, 42, ROOT).body()
    note = signed_checkpoint(Checkpoint(ORIGIN, 42, ROOT), signer)
    altered_body = body.replace(before, after)
    assert altered_body != body
    key = Ed25519PublicKey.from_public_bytes(signer.public_key_bytes)
    key.verify(signature_of(note), body.encode())
    with pytest.raises(InvalidSignature):
        key.verify(signature_of(note), altered_body.encode())
    with pytest.raises(NoteError, match="does not verify"):
        open_checkpoint(note.replace(before, after, 1), signer.verifier)
