"""What the proof endpoints answer: RFC 9162's and C2SP's names, hashes in base64."""

from __future__ import annotations

from pydantic import BaseModel, Field

Base64Hash = str


class PublicKeyOut(BaseModel):
    origin: str = Field(description="The log's origin: the first line of its checkpoints")
    algorithm: str = Field(description="Always Ed25519")
    key_name: str
    key_id: str = Field(description="The C2SP signed-note key id, 8 hex digits")
    public_key: str = Field(description="The 32-byte Ed25519 public key, base64")
    verifier_key: str = Field(
        description="The C2SP verifier key: <name>+<key id>+<base64(0x01 || public key)>"
    )


class CheckpointOut(BaseModel):
    origin: str
    tree_size: int = Field(description="The number of leaves (events) the checkpoint covers")
    root_hash: Base64Hash = Field(description="The RFC 9162 Merkle tree hash, base64")
    position: int = Field(description="The log position of the last event covered")
    checkpoint: str = Field(description="The same checkpoint as a C2SP signed note")


class InclusionOut(BaseModel):
    event_id: str
    position: int
    leaf_index: int
    leaf_hash: Base64Hash
    tree_size: int
    inclusion_path: list[Base64Hash] = Field(description="RFC 9162 section 2.1.3.1, in order")
    root_hash: Base64Hash


class ConsistencyOut(BaseModel):
    tree_size_1: int
    tree_size_2: int
    consistency_path: list[Base64Hash] = Field(description="RFC 9162 section 2.1.4.1, in order")
    root_hash_1: Base64Hash
    root_hash_2: Base64Hash


class VerificationIn(BaseModel):
    checkpoint: str | None = Field(
        default=None,
        max_length=100_000,
        description="A checkpoint saved earlier (the signed note text), to check against today",
    )


class ProblemOut(BaseModel):
    position: int | None
    detail: str


class CheckpointCheckOut(BaseModel):
    tree_size: int
    root_hash: Base64Hash
    consistent: bool
    detail: str


class VerificationOut(BaseModel):
    verified: bool
    events: int
    tree_size: int
    root_hash: Base64Hash = Field(description="The root recomputed from the events")
    first_bad_position: int | None
    problem_count: int
    problems: list[ProblemOut] = Field(description="The first 100 problems found")
    checkpoint: CheckpointCheckOut | None
