"""Signed notes (https://c2sp.org/signed-note) with Ed25519 keys.

A signed note is a text followed by a blank line and one signature line per key::

    <text, one or more lines each ending in a newline>

    — <key name> <base64(4-byte key id || signature)>

The ledger publishes what it vouches for (its checkpoints) in this format rather than one of
its own, so that anyone can check them with tools that already exist (Go's
golang.org/x/mod/sumdb/note, transparency-log witnesses and monitors) and without trusting
or even running this code. Only Ed25519 (signature type 0x01) is supported: it is what the
Go tools and witnesses speak, and supporting several algorithms only widens what an attacker
can try.

Keys travel as text in Go's forms, so that a key made here works there and back:

- verifier key: ``<name>+<8 hex digits of key id>+<base64(0x01 || 32-byte public key)>``
- signer key: ``PRIVATE+KEY+<name>+<8 hex digits of key id>+<base64(0x01 || 32-byte seed)>``

The key id is the first four bytes of SHA-256(name || 0x0A || 0x01 || public key). It only
tells which key signed a line; what makes a signature trusted is the public key the verifier
was configured with.

Opening a note is strict: anything not exactly in the format is refused with a reason, a
note is opened only when a signature by the expected key verifies, and a signature line by
that key that fails to verify rejects the whole note (the spec's SHOULD), since it means the
text or the line was tampered with. Signature lines of other keys are ignored, as the spec
requires, so that witnesses can add their cosignatures and keys can be rotated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
"""The signature type byte of Ed25519 in key ids and key strings."""
KEY_ID_SIZE = 4
KEY_SIZE = 32
SIGNATURE_SIZE = 64
SIGNATURE_PREFIX = "\u2014 "
"""Every signature line starts with an em dash and a space."""
PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"
MAX_NOTE_BYTES = 1_000_000
"""Notes come from outside; a bound on their size bounds the work of refusing one."""
MAX_SIGNATURES = 100
"""The spec asks verifiers to accept at least 16 signatures; Go's verifier accepts 100."""

# Control characters other than the newline are forbidden anywhere in a note.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")


class NoteError(ValueError):
    """A note could not be opened: it is malformed, unsigned by the key, or forged."""


def decode_base64(text: str) -> bytes:
    """Decode standard, padded base64, refusing every other spelling of the same bytes.

    Python's decoder accepts several spellings of one value (non-zero padding bits, for
    one); allowing only the canonical one keeps a signed text from having look-alikes."""
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"{_excerpt(text)} is not valid base64") from error
    if base64.b64encode(decoded).decode("ascii") != text:
        raise ValueError(f"{_excerpt(text)} is not canonical base64")
    return decoded


def _encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _excerpt(text: str, limit: int = 60) -> str:
    """Quote outside text in an error message without echoing a megabyte of it."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def key_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a key, or None if it can.

    A key name must be non-empty, without spaces (they end the name in a signature line)
    and without "+" (it ends the name in a key string)."""
    if not name:
        return "a key name must not be empty"
    if any(char.isspace() or char == "+" for char in name):
        return f"key name {_excerpt(name)} contains a space or a '+'"
    if _CONTROL.search(name) or not _is_utf8(name):
        return f"key name {_excerpt(name)} contains a control character or is not valid UTF-8"
    return None


def _require_key_name(name: str) -> None:
    problem = key_name_problem(name)
    if problem is not None:
        raise ValueError(problem)


def _is_utf8(text: str) -> bool:
    # A Python string holds code points, but lone surrogates (from a lenient decoding) have
    # no UTF-8 spelling and cannot be part of a note.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    material = name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key
    return hashlib.sha256(material).digest()[:KEY_ID_SIZE]


def _key_label(name: str, id_: bytes) -> str:
    """A key as Go names it in its errors: ``name+hex id``."""
    return f"{name}+{id_.hex()}"


def _split_key_string(text: str, what: str) -> tuple[str, bytes, bytes]:
    """Split ``name+hexid+base64(0x01 || key)`` into the name, the id and the raw key,
    checking that the id is the key's own."""
    parts = text.split("+", 2)  # base64 may itself contain "+"
    if len(parts) != 3:
        raise ValueError(f"a {what} has the form name+keyid+key, got {_excerpt(text)}")
    name, id_hex, encoded = parts
    _require_key_name(name)
    if not _KEY_ID_HEX.fullmatch(id_hex):
        raise ValueError(f"the key id of a {what} is 8 lowercase hex digits, got {id_hex!r}")
    material = decode_base64(encoded)
    if len(material) != 1 + KEY_SIZE or material[0] != ED25519:
        raise ValueError(f"a {what} must hold 0x01 and a 32-byte Ed25519 key")
    return name, bytes.fromhex(id_hex), material[1:]


@dataclass(frozen=True)
class NoteVerifier:
    """Checks signatures by one Ed25519 key, named as in the signature lines it accepts."""

    name: str
    public_key: Ed25519PublicKey

    def __post_init__(self) -> None:
        _require_key_name(self.name)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Read a verifier key string; ValueError if it is malformed or its id is wrong."""
        name, id_, raw = _split_key_string(vkey, "verifier key")
        if key_id(name, raw) != id_:
            raise ValueError(f"the key id {id_.hex()} of {name!r} does not match its key")
        return cls(name, Ed25519PublicKey.from_public_bytes(raw))

    @property
    def public_key_bytes(self) -> bytes:
        return self.public_key.public_bytes_raw()

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key_bytes)

    @property
    def vkey(self) -> str:
        """The verifier key string to publish, in Go's form."""
        material = _encode_base64(bytes([ED25519]) + self.public_key_bytes)
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def verifies(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``text``."""
        if len(signature) != SIGNATURE_SIZE:
            return False
        try:
            self.public_key.verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class NoteSigner:
    """Signs notes with one Ed25519 key under one key name."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        _require_key_name(self.name)

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> NoteSigner:
        """The signer of the 32-byte Ed25519 seed (the private key of RFC 8032)."""
        if len(seed) != KEY_SIZE:
            raise ValueError(f"an Ed25519 seed has 32 bytes, got {len(seed)}")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_signer_key(cls, skey: str) -> NoteSigner:
        """Read a signer key string (``PRIVATE+KEY+name+id+key``) as Go writes it."""
        if not skey.startswith(PRIVATE_KEY_PREFIX):
            raise ValueError(f"a signer key starts with {PRIVATE_KEY_PREFIX!r}")
        name, id_, seed = _split_key_string(skey.removeprefix(PRIVATE_KEY_PREFIX), "signer key")
        signer = cls.from_seed(name, seed)
        if signer.key_id != id_:
            raise ValueError(f"the key id {id_.hex()} of {name!r} does not match its key")
        return signer

    @property
    def seed(self) -> bytes:
        return self.private_key.private_bytes_raw()

    @property
    def public_key_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes_raw()

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key_bytes)

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.private_key.public_key())

    @property
    def vkey(self) -> str:
        return self.verifier.vkey

    @property
    def signer_key(self) -> str:
        """The secret key string, in Go's form: whoever holds it can sign as this key."""
        material = _encode_base64(bytes([ED25519]) + self.seed)
        return f"{PRIVATE_KEY_PREFIX}{self.name}+{self.key_id.hex()}+{material}"

    def sign(self, body: str) -> str:
        """The signed note of ``body``: the body, a blank line and this key's signature."""
        text = _body_bytes(body)
        blob = self.key_id + self.private_key.sign(text)
        note = f"{body}\n{SIGNATURE_PREFIX}{self.name} {_encode_base64(blob)}\n"
        if len(note.encode("utf-8")) > MAX_NOTE_BYTES:
            raise NoteError(f"the signed note would exceed {MAX_NOTE_BYTES} bytes")
        return note


def _body_bytes(body: str) -> bytes:
    """The bytes that are signed, once the body is known to be a note's text."""
    if not body.endswith("\n"):
        raise NoteError("a note's text must be one or more lines, each ending in a newline")
    _check_characters(body)
    return body.encode("utf-8")


def _check_characters(text: str) -> None:
    if not _is_utf8(text):
        raise NoteError("malformed note: not valid UTF-8")
    control = _CONTROL.search(text)
    if control is not None:
        raise NoteError(
            f"malformed note: control character {control.group()!r} at offset {control.start()}"
        )


@dataclass(frozen=True)
class _SignatureLine:
    name: str
    key_id: bytes
    signature: bytes


def _split_note(text: str) -> tuple[str, list[str]]:
    """The note's text and its signature lines (without their newlines)."""
    # The length in characters is a lower bound of the length in bytes: a cheap first check.
    if len(text) > MAX_NOTE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise NoteError(f"malformed note: larger than {MAX_NOTE_BYTES} bytes")
    _check_characters(text)
    # The text may itself hold blank lines: the last one is the separator.
    split = text.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line between the text and the signatures")
    body, block = text[: split + 1], text[split + 2 :]
    if not block:
        raise NoteError("malformed note: no signature lines after the blank line")
    if not block.endswith("\n"):
        raise NoteError("malformed note: the last signature line does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signature lines")
    return body, lines


def _parse_signature_line(line: str) -> _SignatureLine:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError(
            f"malformed note: {_excerpt(line)} is not a signature line (an em dash, a space, "
            "the key name, a space, the base64 signature)"
        )
    name, space, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
    if not space:
        raise NoteError(f"malformed note: signature line {_excerpt(line)} has no signature")
    problem = key_name_problem(name)
    if problem is not None:
        raise NoteError(f"malformed note: {problem}")
    try:
        blob = decode_base64(encoded)
    except ValueError as error:
        raise NoteError(f"malformed note: the signature of {name!r}: {error}") from error
    if len(blob) <= KEY_ID_SIZE:
        raise NoteError(f"malformed note: the signature of {name!r} is too short")
    return _SignatureLine(name, blob[:KEY_ID_SIZE], blob[KEY_ID_SIZE:])


def open_note(text: str, verifier: NoteVerifier) -> str:
    """The text of a signed note, once a signature by ``verifier``'s key has verified.

    Raises NoteError if the note is malformed, has no signature line by the key (same name
    and key id), or has one that does not verify. Lines of other keys are parsed (a
    malformed one still refuses the note) but otherwise ignored."""
    body, lines = _split_note(text)
    signatures = [_parse_signature_line(line) for line in lines]
    wanted = (verifier.name, verifier.key_id)
    label = _key_label(verifier.name, verifier.key_id)
    ours = [line for line in signatures if (line.name, line.key_id) == wanted]
    if not ours:
        raise NoteError(f"the note has no signature by the key {label}")
    signed = body.encode("utf-8")
    for line in ours:
        if not verifier.verifies(signed, line.signature):
            raise NoteError(f"the signature by the key {label} does not verify")
    return body
